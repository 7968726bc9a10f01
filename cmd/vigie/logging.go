package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
)

// openLogger returns a JSON logger appending to path (created 0600), or a logger that
// discards everything when path is "". vigie never logs to stdout or stderr: the TUI
// owns the terminal.
func openLogger(path string) (*slog.Logger, io.Closer, error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), nopCloser{}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("opening log file: %w", err)
	}
	h := slog.NewJSONHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(h), f, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
