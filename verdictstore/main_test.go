package verdictstore

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/sharewatch/sharewatch/internal/testch"
)

func TestMain(m *testing.M) {
	code := testch.Run(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
