package process

import "fmt"

// ValidateOOMScoreAdj checks process.oomScoreAdj (nil: not set). The C
// stage writes it, before any user namespace; a value below the runtime's
// own oom_score_adj_min also needs CAP_SYS_RESOURCE, which the kernel
// checks then.
func ValidateOOMScoreAdj(score *int) error {
	if score != nil && (*score < -1000 || *score > 1000) {
		return fmt.Errorf("oomScoreAdj %d is out of range [-1000, 1000]", *score)
	}
	return nil
}
