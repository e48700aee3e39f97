package fscommon

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// HugePageSizesDir lists the host's huge page sizes (hugepages-2048kB...).
const HugePageSizesDir = "/sys/kernel/mm/hugepages"

// HugePageSizes returns the host's huge page sizes in the cgroup file
// names' notation ("2MB", "1GB"), read from dir (HugePageSizesDir).
func HugePageSizes(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		kb, ok := strings.CutPrefix(e.Name(), "hugepages-")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(kb, "kB"), 10, 64)
		if err != nil {
			continue
		}
		out = append(out, PageSizeName(n*1024))
	}
	sort.Strings(out)
	return out, nil
}

// PageSizeName renders a size in bytes as the kernel names hugetlb files.
func PageSizeName(bytes uint64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	i := 0
	for bytes >= 1024 && bytes%1024 == 0 && i < len(units)-1 {
		bytes /= 1024
		i++
	}
	return fmt.Sprintf("%d%s", bytes, units[i])
}

// CheckPageSizes checks each limit's page size is one the host has.
func CheckPageSizes(want []string, have []string) error {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return fmt.Errorf("hugepage size %s is not supported by this host (it has %s)", w, strings.Join(have, ", "))
		}
	}
	return nil
}
