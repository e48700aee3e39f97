package integration

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var validStatus = map[string]bool{"creating": true, "created": true, "running": true, "paused": true, "stopped": true}

// TestConcurrentStateKill: state and kill run in a loop on one id while it is
// started, killed and deleted; each answer must be whole: valid state JSON,
// or a clean error naming a state callers match.
func TestConcurrentStateKill(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	for round := 0; round < 3; round++ {
		concurrentRound(t, r)
	}
}

func concurrentRound(t *testing.T, r *rtRunner) {
	t.Helper()
	id, _ := r.create(r.sh(`while :; do sleep 0.05; done`))
	checkState := func(res result) string {
		if res.Code != 0 {
			if strings.Contains(res.Stderr, "container does not exist") {
				return ""
			}
			return "state failed: " + res.String()
		}
		var st containerState
		if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil || st.ID != id || !validStatus[st.Status] {
			return "corrupt state: " + res.Stdout
		}
		return ""
	}
	// CONT is harmless, so the lifecycle below goes on undisturbed.
	checkKill := func(res result) string {
		if res.Code == 0 || strings.Contains(res.Stderr, "container does not exist") ||
			strings.Contains(res.Stderr, "container not running") {
			return ""
		}
		return "kill failed oddly: " + res.String()
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var answers atomic.Int64
	problems := make(chan string, 100)
	worker := func(args []string, check func(result) string) {
		defer wg.Done()
		for !stop.Load() {
			p := check(r.exec(cmdOpts{}, args...))
			answers.Add(1)
			if p != "" {
				select {
				case problems <- p:
				default:
				}
			}
		}
	}
	for i := 0; i < 3; i++ {
		wg.Add(2)
		go worker([]string{"state", id}, checkState)
		go worker([]string{"kill", id, "CONT"}, checkKill)
	}
	// Stop the workers before any Fatal below ends the test.
	defer func() {
		stop.Store(true)
		wg.Wait()
		close(problems)
		for p := range problems {
			t.Error(p)
		}
		if n := answers.Load(); n < 6 {
			t.Errorf("only %d concurrent answers", n)
		}
	}()

	time.Sleep(50 * time.Millisecond)
	r.ok("start", id)
	time.Sleep(50 * time.Millisecond)
	r.ok("kill", id, "KILL")
	r.waitStatus(id, "stopped")
	r.ok("delete", id)
	time.Sleep(50 * time.Millisecond)
}
