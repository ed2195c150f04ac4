package report

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/plotutil"
)

// chromiumPath returns a headless-capable Chromium, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium, chromium-browser or google-chrome on PATH")
	return ""
}

// runChromium runs headless Chromium on the page with extra flags, with
// its own profile and no network beyond the file, and returns stdout.
func runChromium(t *testing.T, bin, page string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1200,2000"}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+page)...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

func TestPageInChromium(t *testing.T) {
	bin := chromiumPath(t)
	modes := []string{"direct", "tree", "forest", "mesh"}
	path, err := Write(t.TempDir(), fakeResult(t, 1_000_000, modes...))
	if err != nil {
		t.Fatal(err)
	}
	path, err = filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}

	dom := string(runChromium(t, bin, path, "--dump-dom"))
	if n := strings.Count(dom, "<svg"); n != 5 {
		t.Errorf("rendered DOM has %d <svg> plots, want 5", n)
	}
	for _, plot := range []string{"continuity-cdf", "lag-cdf", "startup-cdf", "overhead", "upload-util"} {
		if !strings.Contains(dom, `data-plot="`+plot+`"`) {
			t.Errorf("rendered DOM lacks plot %s", plot)
		}
	}
	for _, m := range modes {
		if strings.Count(dom, ">"+m+"<") < 2 { // summary table and plot text
			t.Errorf("rendered DOM does not name mode %s in table and plots", m)
		}
	}

	shot := filepath.Join(t.TempDir(), "page.png")
	runChromium(t, bin, path, "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 600 {
		t.Fatalf("screenshot is only %v", b)
	}
	// The bars are filled in the modes' colours: seeing each proves the
	// plots were drawn, not just present in the DOM.
	for i, m := range modes {
		if n := countColour(img, plotutil.Color(i)); n < 200 {
			t.Errorf("screenshot has %d pixels of mode %s's colour, want its bar", n, m)
		}
	}
}

// countColour counts the pixels of img within a small distance of c.
func countColour(img image.Image, c color.Color) int {
	wr, wg, wb, _ := c.RGBA()
	near := func(a, b uint32) bool { return max(a, b)-min(a, b) <= 6<<8 }
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, wr) && near(g, wg) && near(bl, wb) {
				n++
			}
		}
	}
	return n
}
