package fifo

import (
	"io"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

func mustSID(t *testing.T, s string) *windows.SID {
	sid, err := windows.StringToSid(s)
	if err != nil {
		t.Fatal(err)
	}
	return sid
}

// The holder tells who uses its FIFO over its control pipe: a writer that
// holds it and what it wrote, then a reader waiting for a writer; and the
// data is all still there for the reader.
func TestUsageWindows(t *testing.T) {
	name := makeT(t)
	ctx := testCtx(t)
	u, err := UsageOf(name)
	if err != nil || len(u.Holders) != 0 || len(u.Opening) != 0 || u.Buffered != 0 || u.Capacity != holderQueueMax {
		t.Fatalf("a FIFO nobody uses: %+v, %v", u, err)
	}
	w, err := OpenWriter(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, "kept\n"); err != nil {
		t.Fatal(err)
	}
	// The holder drains the writer's instance on a goroutine of its own:
	// its queue shows the bytes a moment later.
	for deadline := time.Now().Add(time.Minute); u.Buffered != 5; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the holder never counted the bytes: %+v", u)
		}
		if u, err = UsageOf(name); err != nil {
			t.Fatal(err)
		}
	}
	if len(u.Holders) != 1 || !u.Holders[0].Write || u.Holders[0].PID != os.Getpid() {
		t.Errorf("holders %+v, want us, writing (pid %d)", u.Holders, os.Getpid())
	}
	w.Close()
	if got := readFIFO(t, ctx, name); got != "kept\n" {
		t.Errorf("the reader got %q after the looks", got)
	}

	// A reader alone waits for a writer, as in open on Unix.
	done := make(chan string)
	go func() { done <- readFIFO(t, ctx, name) }()
	for deadline := time.Now().Add(time.Minute); len(u.Opening) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the reader never showed: %+v", u)
		}
		u, _ = UsageOf(name)
	}
	if p := u.Opening[0]; !p.Read || p.Waiting != "open" || p.PID != os.Getpid() {
		t.Errorf("opening %+v", u.Opening)
	}
	writeFIFO(t, ctx, name, "late\n")
	if got := <-done; got != "late\n" {
		t.Errorf("the waiting reader got %q", got)
	}
}

func TestParseStatus(t *testing.T) {
	u, err := parseStatus("buffered=0 capacity=1048576 came=false reader=12:S-1-5-18 waiting=13:-,14:- writers=\n")
	if err != nil || u.Capacity != 1048576 || len(u.Holders) != 0 || len(u.Opening) != 3 || u.Opening[0].PID != 12 || u.Opening[0].User != accountName(mustSID(t, "S-1-5-18")) {
		t.Errorf("parseStatus: %+v, %v", u, err)
	}
	u, err = parseStatus("buffered=0 capacity=1048576 came=true reader=12:- waiting= writers=7:-\n")
	if err != nil || len(u.Holders) != 2 || u.Holders[1].Waiting != "read" || !u.Holders[0].Write {
		t.Errorf("parseStatus: %+v, %v", u, err)
	}
	if _, err := parseStatus("gibberish\n"); err == nil {
		t.Error("parseStatus took gibberish")
	}
}
