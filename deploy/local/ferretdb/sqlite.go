package main

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses
)

// idExpression is the expression FerretDB 1.24's SQLite queries filter an _id on
// (metadata.IDColumn); SQLite uses an index only for the exact same expression.
const idExpression = `_ferretdb_sjson->'$._id'`

func open(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// indexExistingTables gives every collection table of every database in dir the _id index its
// queries can use. It runs before FerretDB opens the files, so it competes with no writer.
func indexExistingTables(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if err != nil {
		return err
	}
	for _, file := range files {
		if err := indexTables(file); err != nil {
			return fmt.Errorf("indexing %s: %w", file, err)
		}
	}
	return nil
}

func indexTables(file string) error {
	db, err := open(file)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		var has int
		// A table made by the patched build has its unique _id index on the expression.
		err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ?
			AND instr(sql, ?) > 0`, t, idExpression).Scan(&has)
		if err != nil {
			return err
		}
		if has > 0 {
			continue
		}
		q := fmt.Sprintf(`CREATE INDEX %q ON %q (%s)`, t+"_kinerja_id", t, idExpression)
		if _, err := db.Exec(q); err != nil {
			return err
		}
		log.Printf("ferretdb-local: indexed _id of %s in %s", t, filepath.Base(file))
	}
	return nil
}

// checkpointLoop keeps each database's WAL below limit bytes. FerretDB keeps statement cursors
// open until a command ends, so SQLite's automatic checkpoints never finish under steady load
// and the WAL grows without bound (343 MB in 9 minutes was seen).
func checkpointLoop(ctx context.Context, dir string, limit int64, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		wals, _ := filepath.Glob(filepath.Join(dir, "*.sqlite-wal"))
		for _, wal := range wals {
			fi, err := os.Stat(wal)
			if err != nil || fi.Size() < limit {
				continue
			}
			if err := checkpoint(ctx, wal[:len(wal)-len("-wal")]); err != nil {
				log.Printf("ferretdb-local: checkpoint of %s: %v (tried again later)", wal, err)
			}
		}
	}
}

func checkpoint(ctx context.Context, file string) error {
	db, err := open(file)
	if err != nil {
		return err
	}
	defer db.Close()
	// TRUNCATE waits (busy handler) for the writer and readers, copies the WAL back and
	// empties it; FerretDB's own writers wait on their busy_timeout meanwhile.
	_, err = db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}
