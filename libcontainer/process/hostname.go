package process

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SetHostname sets the hostname and the NIS domain name of the calling
// process's UTS namespace; an empty value is left as it is. The caller
// checks at create that the container has its own UTS namespace when
// either is set.
func SetHostname(hostname, domainname string) error {
	if hostname != "" {
		if err := unix.Sethostname([]byte(hostname)); err != nil {
			return fmt.Errorf("sethostname %q: %w", hostname, err)
		}
	}
	if domainname != "" {
		if err := unix.Setdomainname([]byte(domainname)); err != nil {
			return fmt.Errorf("setdomainname %q: %w", domainname, err)
		}
	}
	return nil
}
