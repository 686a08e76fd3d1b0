package cattee

import (
	"context"
	"time"
)

// A limiter holds a copy to a rate (--rate-limit, as pv -L): each chunk
// waits for its turn, in a timer (never spinning), cancellably.
//
// Turns are kept on a schedule of their own, each chunk's start being the
// previous one's plus the time its bytes take at the rate, so that the
// timers' lateness does not add up to a slower copy. A copy whose input
// stalls falls behind the schedule; it may catch up by no more than
// limiterSlack's worth of bytes at once, so that the rate holds over any
// stretch of time longer than that.
type limiter struct {
	ctx  context.Context
	rate float64 // bytes a second
	next time.Time
	now  func() time.Time
	// sleep waits for d or ctx's end (tests replace it).
	sleep func(ctx context.Context, d time.Duration) error
}

// limiterChunk is the time one chunk is worth: short, so that the output
// flows evenly (pv's limit lets a tenth of a second's worth go at once),
// long enough that each chunk is a sizeable write.
const (
	limiterChunk = 20 * time.Millisecond
	limiterSlack = 100 * time.Millisecond
)

// newLimiter is a limiter to rate bytes a second, or nil (no limit) for 0.
func newLimiter(ctx context.Context, rate int64) *limiter {
	if rate <= 0 {
		return nil
	}
	return &limiter{ctx: ctx, rate: float64(rate), next: time.Now(), now: time.Now, sleep: sleepCtx}
}

// chunk is how many bytes to move at a time: limiterChunk's worth, at
// least one byte, at most a buffer's worth.
func (l *limiter) chunk() int {
	return int(min(max(l.rate*limiterChunk.Seconds(), 1), catBufSize))
}

// wait waits for the turn of n bytes; an error is ctx's, which ended the
// wait. A nil limiter never waits.
func (l *limiter) wait(n int) error {
	if l == nil {
		return nil
	}
	now := l.now()
	start := l.next
	if early := now.Add(-limiterSlack); start.Before(early) {
		start = early
	}
	l.next = start.Add(time.Duration(float64(n) / l.rate * float64(time.Second)))
	if d := start.Sub(now); d > 0 {
		return l.sleep(l.ctx, d)
	}
	return l.ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
