package fscommon

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fakeFiles makes dir hold files with the given contents, as a cgroup
// directory would; a value "<dir>" makes a directory, which a write fails on.
func fakeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if content == "<dir>" {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func read(t *testing.T, dir, file string) string {
	t.Helper()
	s, err := Read(dir, file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWriteNamesFileAndValue(t *testing.T) {
	dir := t.TempDir()
	err := Write(dir, "cpu.shares", "5")
	if err == nil || !strings.Contains(err.Error(), `"5"`) || !strings.Contains(err.Error(), filepath.Join(dir, "cpu.shares")) {
		t.Fatalf("error %v should name the value and the file", err)
	}
	if _, serr := os.Stat(filepath.Join(dir, "cpu.shares")); serr == nil {
		t.Error("Write created a missing file")
	}
}

func TestTxRollbackRestoresInReverse(t *testing.T) {
	dir := t.TempDir()
	fakeFiles(t, dir, map[string]string{
		"memory.limit_in_bytes": "100\n",
		"memory.oom_control":    "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
		"io.weight":             "default 100\n8:0 200\n",
		"bad":                   "<dir>",
	})
	tx := &Tx{}
	for _, w := range [][2]string{{"memory.limit_in_bytes", "200"}, {"memory.limit_in_bytes", "300"}, {"memory.oom_control", "1"}, {"io.weight", "default 50"}} {
		if err := tx.Write(dir, w[0], w[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Write(dir, "bad", "x"); err == nil {
		t.Fatal("write to a directory succeeded")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// A regular file keeps only the last write: the restore of a multi-line
	// file shows its last line; the kernel applies each line.
	want := map[string]string{"memory.limit_in_bytes": "100", "memory.oom_control": "0", "io.weight": "8:0 200"}
	for f, w := range want {
		if got := read(t, dir, f); got != w {
			t.Errorf("%s = %q after rollback, want %q", f, got, w)
		}
	}
}

func TestParseUintAndList(t *testing.T) {
	for in, want := range map[string]uint64{"max": math.MaxUint64, "12": 12, "-1": 0} {
		if got, err := ParseUint(in); err != nil || got != want {
			t.Errorf("ParseUint(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := ParseUint("x"); err == nil {
		t.Error("ParseUint(x) accepted")
	}
	got, err := ParseList("0-2,5")
	if err != nil || !reflect.DeepEqual(got, []uint16{0, 1, 2, 5}) {
		t.Errorf("ParseList = %v, %v", got, err)
	}
	for _, bad := range []string{"a", "3-1", "1,,2", "-1"} {
		if _, err := ParseList(bad); err == nil {
			t.Errorf("ParseList(%q) accepted", bad)
		}
	}
}

func TestReadKeyValues(t *testing.T) {
	dir := t.TempDir()
	fakeFiles(t, dir, map[string]string{"memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"})
	if v, err := ReadKey(dir, "memory.events", "oom_kill"); err != nil || v != 1 {
		t.Errorf("oom_kill = %d, %v", v, err)
	}
	if _, err := ReadKey(dir, "memory.events", "nope"); err == nil {
		t.Error("missing key found")
	}
}

func TestHugePageSizes(t *testing.T) {
	dir := t.TempDir()
	fakeFiles(t, dir, map[string]string{"hugepages-2048kB": "<dir>", "hugepages-1048576kB": "<dir>", "other": "<dir>"})
	got, err := HugePageSizes(dir)
	if err != nil || !reflect.DeepEqual(got, []string{"1GB", "2MB"}) {
		t.Fatalf("HugePageSizes = %v, %v", got, err)
	}
	if err := CheckPageSizes([]string{"2MB"}, got); err != nil {
		t.Error(err)
	}
	if err := CheckPageSizes([]string{"4MB"}, got); err == nil || !strings.Contains(err.Error(), "4MB") {
		t.Errorf("4MB: %v", err)
	}
}

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }

func TestValidate(t *testing.T) {
	bad := map[string]*specs.LinuxResources{
		"swappiness":         {Memory: &specs.LinuxMemory{Swappiness: u64(101)}},
		"limit < -1":         {Memory: &specs.LinuxMemory{Limit: i64(-2)}},
		"swap without limit": {Memory: &specs.LinuxMemory{Swap: i64(100)}},
		"swap < limit":       {Memory: &specs.LinuxMemory{Limit: i64(200), Swap: i64(100)}},
		"shares 1":           {CPU: &specs.LinuxCPU{Shares: u64(1)}},
		"shares big":         {CPU: &specs.LinuxCPU{Shares: u64(262145)}},
		"burst > quota":      {CPU: &specs.LinuxCPU{Quota: i64(1000), Burst: u64(2000)}},
		"idle 2":             {CPU: &specs.LinuxCPU{Idle: i64(2)}},
		"cpus syntax":        {CPU: &specs.LinuxCPU{Cpus: "0-x"}},
		"blkio weight":       {BlockIO: &specs.LinuxBlockIO{Weight: u16(5)}},
		"weightDevice empty": {BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{{}}}},
		"page size":          {HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2M"}}},
		"unified slash":      {Unified: map[string]string{"../memory.max": "1"}},
		"unified no dot":     {Unified: map[string]string{"memory": "1"}},
		"unified procs":      {Unified: map[string]string{"cgroup.procs": "1"}},
	}
	for name, r := range bad {
		if err := Validate(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	good := []*specs.LinuxResources{
		nil,
		{Memory: &specs.LinuxMemory{Limit: i64(-1), Swap: i64(-1), Swappiness: u64(math.MaxUint64)}},
		{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(100)}},
		{CPU: &specs.LinuxCPU{Shares: u64(2), Quota: i64(-1), Cpus: "0-1,3", Idle: i64(1)}},
		{BlockIO: &specs.LinuxBlockIO{Weight: u16(10), LeafWeight: u16(1000)}},
		{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "1GB"}}},
		{Unified: map[string]string{"memory.high": "1", "cgroup.max.depth": "2"}},
	}
	for i, r := range good {
		if err := Validate(r); err != nil {
			t.Errorf("good[%d]: %v", i, err)
		}
	}
}

func TestPidsOfATree(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	if err := MkdirAll(filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	fakeFiles(t, dir, map[string]string{"cgroup.procs": "5\n3\n", "sub/cgroup.procs": "9\n"})
	pids, err := Pids(dir)
	if err != nil || !reflect.DeepEqual(pids, []int{3, 5, 9}) {
		t.Errorf("Pids = %v, %v", pids, err)
	}
	if pids, err := Pids(filepath.Join(dir, "nope")); err != nil || len(pids) != 0 {
		t.Errorf("Pids of a missing cgroup = %v, %v", pids, err)
	}
}

func TestJoinOneLine(t *testing.T) {
	a, b := os.ErrNotExist, os.ErrPermission
	err := Join(nil, a, b)
	if strings.Contains(err.Error(), "\n") || !errors.Is(err, b) || !errors.Is(err, a) {
		t.Errorf("Join = %q", err)
	}
	if Join(nil, nil) != nil || Join(a) != a {
		t.Error("Join of none or one")
	}
}
