// Command ferretdb-local runs FerretDB 1.24 (MongoDB wire protocol, SQLite backend) embedded.
//
// `go install` of FerretDB's own command builds a binary that panics at start (it needs a
// generated version file the module does not ship), so Kinerja embeds the ferretdb package.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "host:port for the MongoDB wire protocol")
	dataDir := flag.String("data-dir", "", "directory for the SQLite files (created if missing)")
	logLevel := flag.String("log-level", "info", "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-local: bad --log-level %q: %v\n", *logLevel, err)
		os.Exit(2)
	}
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "ferretdb-local: --data-dir is required")
		os.Exit(2)
	}
	abs, err := filepath.Abs(*dataDir)
	if err != nil {
		log.Fatalf("ferretdb-local: bad --data-dir: %v", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		log.Fatalf("ferretdb-local: cannot create %s: %v", abs, err)
	}
	// FerretDB wants a file: URL naming an existing directory with a trailing slash.
	url := "file:" + strings.TrimSuffix(abs, "/") + "/"

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: url,
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		log.Fatalf("ferretdb-local: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	log.Printf("ferretdb-local: listening on %s, data in %s", *listen, abs)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		log.Fatalf("ferretdb-local: %v", err)
	}
	log.Printf("ferretdb-local: stopped")
}
