// Package label is the stub label package of opencontainers/selinux v1.1
// (built without the selinux tag): no labels, no errors.
package label

// FileLabel returns the label for the specified path.
func FileLabel(path string) (string, error) {
	return "", nil
}

// Validate checks that the label does not include unexpected options.
func Validate(label string) error {
	return nil
}
