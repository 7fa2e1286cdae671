// Command ferretdb-local runs FerretDB 1.24 (MongoDB wire protocol, SQLite backend) embedded.
//
// `go install` of FerretDB's own command builds a binary that panics at start (it needs a
// generated version file the module does not ship), so Kinerja embeds the ferretdb package.
//
// What lifts FerretDB's speed on SQLite (see deploy/README.md, "The local store"):
//   - FerretDB is built with patches/sqlite-id-index.patch: the unique _id index of every new
//     collection is made on the expression FerretDB's queries filter on, so an _id lookup or
//     upsert is an index search instead of a table scan. It is made by FerretDB itself, on its
//     own connection, inside the collection's creation: no second writer, no SQLITE_BUSY.
//   - Tables made by an unpatched build get the same index here before FerretDB starts
//     (nothing else has the files open then).
//   - The WAL is checkpointed (TRUNCATE) whenever it passes --wal-limit-mb, because FerretDB's
//     open statement cursors keep SQLite's automatic checkpoints from finishing.
//   - synchronous=NORMAL (--synchronous): a commit survives a crash of this process, but the
//     last commits may be lost if the machine itself loses power.
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
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "host:port for the MongoDB wire protocol")
	dataDir := flag.String("data-dir", "", "directory for the SQLite files (created if missing)")
	logLevel := flag.String("log-level", "info", "debug, info, warn or error")
	synchronous := flag.String("synchronous", "normal", "SQLite synchronous: normal or full")
	walLimitMB := flag.Int("wal-limit-mb", 64, "checkpoint a database's WAL past this size")
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
	if *synchronous != "normal" && *synchronous != "full" {
		fmt.Fprintf(os.Stderr, "ferretdb-local: --synchronous must be normal or full\n")
		os.Exit(2)
	}
	if err := indexExistingTables(abs); err != nil {
		log.Fatalf("ferretdb-local: %v", err)
	}
	// FerretDB wants a file: URL naming an existing directory with a trailing slash.
	url := "file:" + strings.TrimSuffix(abs, "/") + "/?_pragma=synchronous(" + *synchronous + ")"

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

	go checkpointLoop(ctx, abs, int64(*walLimitMB)<<20, 5*time.Second)

	log.Printf("ferretdb-local: listening on %s, data in %s", *listen, abs)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		log.Fatalf("ferretdb-local: %v", err)
	}
	log.Printf("ferretdb-local: stopped")
}
