package redirect

import (
	"context"
	"io"
	"os"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
)

// creack/pty has no ConPTY support.
const ptySupported = false

func osName() string { return "Windows" }

// redirectPTY is never called here (runRedirect checks ptySupported).
func redirectPTY(e *command.Env, _ context.Context, _ *redirectConfig, _ io.Reader, _, _ io.Writer, _ func(func(os.Signal))) int {
	e.Errorf("redirect: --pty is not supported on %s", osName())
	return command.StatusFailed
}
