// Package state owns a container's on-disk record under the runtime's root
// (<root>/<id>/state.json): creating the directory, locking it against
// concurrent commands, atomic saves and loads, and listing. It decides
// nothing about containers; the lifecycle package does.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Sentinel errors, with runc's texts: callers match them.
var (
	ErrExist    = errors.New("container with given ID already exists")
	ErrNotExist = errors.New("container does not exist")
	ErrBadID    = errors.New("invalid container id format")
)

const stateFile = "state.json"

// FifoName is the exec fifo's name inside a container's directory.
const FifoName = "exec.fifo"

var idRe = regexp.MustCompile(`^[\w+\-.]+$`)

// State is what rt keeps about one container between commands.
type State struct {
	ID      string    `json:"id"`
	Bundle  string    `json:"bundle"`
	Rootfs  string    `json:"rootfs"`
	Created time.Time `json:"created"`
	// Creating is set until create finished; a container left with it by a
	// killed `rt create` can only be deleted with --force.
	Creating bool `json:"creating,omitempty"`
	// InitPid and InitStart (start time in clock ticks, /proc/<pid>/stat
	// field 22) identify the init even after its pid is reused.
	InitPid   int    `json:"initPid,omitempty"`
	InitStart uint64 `json:"initStart,omitempty"`
	// Cgroups is the cgroup driver's own record (paths), opaque here.
	Cgroups json.RawMessage `json:"cgroups,omitempty"`
	// Spec is config.json as it was at create: later edits of the bundle
	// must not affect the container.
	Spec *specs.Spec `json:"spec"`
}

// Store is the state root (--root).
type Store struct {
	Root string
}

// Dir is the directory of container id.
func (s *Store) Dir(id string) string { return filepath.Join(s.Root, id) }

// ValidateID checks an id is usable as a directory name.
func ValidateID(id string) error {
	if id == "" || id == "." || id == ".." || !idRe.MatchString(id) {
		return fmt.Errorf("%w: %q", ErrBadID, id)
	}
	return nil
}

// Create makes the container's directory and returns it locked. It fails
// with ErrExist if the id is taken.
func (s *Store) Create(id string) (*Lock, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Root, 0o711); err != nil {
		return nil, fmt.Errorf("create state root %s: %w", s.Root, err)
	}
	if err := os.Mkdir(s.Dir(id), 0o711); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, ErrExist
		}
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	return lockDir(s.Dir(id))
}

// Lock takes the lock of an existing container.
func (s *Store) Lock(id string) (*Lock, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	l, err := lockDir(s.Dir(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotExist
	}
	return l, err
}

// Load reads the state of id. The caller should hold its lock.
func (s *Store) Load(id string) (*State, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(s.Dir(id), stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotExist
	}
	if err != nil {
		return nil, fmt.Errorf("read state of %s: %w", id, err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("parse state of %s: %w", id, err)
	}
	return &st, nil
}

// Save writes st atomically (temp file and rename).
func (s *Store) Save(st *State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state of %s: %w", st.ID, err)
	}
	return WriteFileAtomic(filepath.Join(s.Dir(st.ID), stateFile), data, 0o600)
}

// Remove deletes the container's directory.
func (s *Store) Remove(id string) error {
	if err := os.RemoveAll(s.Dir(id)); err != nil {
		return fmt.Errorf("remove state of %s: %w", id, err)
	}
	return nil
}

// List returns the ids under the root, sorted.
func (s *Store) List() ([]string, error) {
	ents, err := os.ReadDir(s.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.Root, err)
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() && ValidateID(e.Name()) == nil {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// WriteFileAtomic writes data to path through a temp file in the same
// directory and a rename, so readers see the old or the new content only.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Lock is an exclusive flock on a container's directory.
type Lock struct{ fd int }

func lockDir(dir string) (*Lock, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return &Lock{fd: fd}, nil
}

// Unlock releases the lock; safe on nil.
func (l *Lock) Unlock() {
	if l != nil && l.fd >= 0 {
		unix.Close(l.fd)
		l.fd = -1
	}
}

// OCI is a container's state as `rt state` prints it and hooks read it on
// their stdin (runc's shape).
type OCI struct {
	Version     string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations,omitempty"`
}
