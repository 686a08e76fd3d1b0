package redirect

import (
	"context"
	"io"
	"os"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
)

// redirectPTY is never called here: --pty is for Unix only (creack/pty
// has no ConPTY support), and the option table refuses it.
func redirectPTY(e *command.Env, _ context.Context, _ *redirectConfig, _ io.Reader, _, _ io.Writer, _ func(func(os.Signal))) int {
	e.Errorf("redirect: --pty is for Unix only")
	return command.StatusFailed
}
