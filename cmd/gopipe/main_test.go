package main

import (
	"os"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
)

// TestMain lets the test binary stand in for gopipe in the children tests
// start, with every command and the test applets.
func TestMain(m *testing.M) {
	commandtest.Main(commands...)
	os.Exit(m.Run())
}
