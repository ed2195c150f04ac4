package scribe_test

import (
	"testing"
	"time"

	"github.com/almcast/alm/scribe"
)

// TestConfigRefreshBeforeParentTimeout: a child must refresh its parent
// more often than ParentTimeout, or a grandparent taking an orphan's word
// that the parent fell silent would drop live forwarders between their
// refreshes.
func TestConfigRefreshBeforeParentTimeout(t *testing.T) {
	c := scribe.DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c.RefreshPeriod = c.ParentTimeout
	if err := c.Validate(); err == nil {
		t.Error("a refresh period as long as the parent timeout passed")
	}
	c.RefreshPeriod = c.ParentTimeout - time.Millisecond
	if err := c.Validate(); err != nil {
		t.Errorf("a refresh period under the parent timeout: %v", err)
	}
}
