package qnet

import "time"

// sweepEvery is how many times an idle timeout a node looks for idle
// peers: a sender stops between one and 1+1/sweepEvery idle timeouts
// after it last took frames.
const sweepEvery = 4

// minSweep bounds how often a node sweeps, whatever its idle timeout.
const minSweep = 50 * time.Millisecond

// sweepPeriod is the interval between idle sweeps.
func (n *Node) sweepPeriod() time.Duration {
	return max(n.cfg.IdleTimeout/sweepEvery, minSweep)
}

// sweepPeers forgets every peer whose sender has taken no frame queued
// within the idle timeout and has none queued or being written, so that a
// later Send starts a new sender, and wakes each such sender to stop; then
// it schedules the next sweep. It runs on the event loop, behind the node's
// one runtime timer, in place of a timer per sender.
func (n *Node) sweepPeers() {
	now := time.Now()
	n.retireIdle(now)
	n.addTimer(&timer{due: now.Add(n.sweepPeriod()), f: n.sweepPeers})
}

// retireIdle forgets the peers idle at now (see sweepPeers) and returns
// how many.
func (n *Node) retireIdle(now time.Time) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	retired := 0
	for k, p := range n.peers {
		if len(p.queue) > 0 || !p.writing.IsZero() || now.Sub(p.active) < n.cfg.IdleTimeout {
			continue
		}
		delete(n.peers, k)
		p.retired = true
		retired++
		select {
		case p.signal <- struct{}{}:
		default:
		}
	}
	return retired
}
