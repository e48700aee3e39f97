package state

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestCreateLoadSaveList(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "root")}
	l, err := s.Create("c1")
	if err != nil {
		t.Fatal(err)
	}
	st := &State{ID: "c1", Bundle: "/b", Created: time.Now(), InitPid: 42}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	if _, err := s.Create("c1"); !errors.Is(err, ErrExist) {
		t.Errorf("second create: %v, want ErrExist", err)
	}
	got, err := s.Load("c1")
	if err != nil || got.InitPid != 42 || got.Bundle != "/b" {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	if _, err := s.Load("nope"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load of unknown: %v", err)
	}
	if _, err := s.Lock("nope"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Lock of unknown: %v", err)
	}
	ids, err := s.List()
	if err != nil || len(ids) != 1 || ids[0] != "c1" {
		t.Errorf("List = %v, %v", ids, err)
	}
	if err := s.Remove("c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir("c1")); !os.IsNotExist(err) {
		t.Errorf("state dir left after Remove")
	}
}

func TestValidateID(t *testing.T) {
	for _, ok := range []string{"a", "A-b_c.d+e", "123"} {
		if err := ValidateID(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", "../x", "a b", "ä"} {
		if err := ValidateID(bad); !errors.Is(err, ErrBadID) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The lock serialises commands on one container.
func TestLockExcludes(t *testing.T) {
	s := &Store{Root: t.TempDir()}
	l, err := s.Create("c")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	order := []string{}
	done := make(chan struct{})
	go func() {
		l2, err := s.Lock("c")
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		order = append(order, "second")
		mu.Unlock()
		l2.Unlock()
		close(done)
	}()
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	order = append(order, "first")
	mu.Unlock()
	l.Unlock()
	<-done
	if len(order) != 2 || order[0] != "first" {
		t.Errorf("lock order %v", order)
	}
}

func TestWriteFileAtomicLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pid")
	if err := WriteFileAtomic(p, []byte("123"), 0o644); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("dir has %d entries, want the file only", len(ents))
	}
	if data, _ := os.ReadFile(p); string(data) != "123" {
		t.Errorf("content %q", data)
	}
}

func TestProcStart(t *testing.T) {
	start, s, err := ProcStart(os.Getpid())
	if err != nil || start == 0 || s == 0 {
		t.Fatalf("ProcStart(self) = %d %c %v", start, s, err)
	}
	st := &State{InitPid: os.Getpid(), InitStart: start}
	if !st.InitAlive() {
		t.Errorf("self not alive")
	}
	st.InitStart++ // a reused pid has another start time
	if st.InitAlive() {
		t.Errorf("start time mismatch not detected")
	}
}
