package jobkit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
)

// A Journal records a job's finished tasks as they complete, so that the
// job, run again after it was killed (time limit, scancel, preemption, a
// lost node), skips them. One rank writes it: the rank that collects the
// results. A nil *Journal records nothing. R is a task's result, stored
// with the codec that channels use for R (mpichan.CodecFor), so a result
// read back has the same bits.
//
// Durability: each record reaches the file with one write(2) when it is
// appended, so it survives the death of the process; the file is synced to
// disk (fsync) within SyncDelay after, on SIGUSR1 (Slurm's warning before
// the time limit), and on Close, so that it survives the loss of the node
// too, but for the records of the last SyncDelay.
//
// The file is "mpichan journal 1\n" and then records, each
//
//	size  uint32, little-endian: the bytes after the checksum
//	crc   uint32, little-endian: CRC-32C of those bytes
//	task  int64, little-endian
//	the result, encoded
//
// The first record, task -1, holds the job's parameters: a job with other
// parameters refuses the journal. A torn or corrupt record (the last one,
// when a node died while writing it) ends the journal: it and anything
// after it are ignored, and cut off when the journal is opened again.
type Journal[R any] struct {
	codec mpichan.Codec[R]
	mu    sync.Mutex
	f     *os.File // nil once closed
	path  string
	timer *time.Timer // a pending sync
	err   error       // of a sync in the background
	kill  int         // test hook: records after which to SIGKILL this process
	sigs  chan os.Signal
}

// SyncDelay is the longest a record appended to a Journal waits before it
// is synced to disk.
const SyncDelay = time.Second

// journalMagic starts every journal file.
const journalMagic = "mpichan journal 1\n"

// paramsTask is the task number of the record with the job's parameters.
const paramsTask = -1

// recordHead is the size of a record's size, checksum and task number.
const recordHead = 16

// maxRecord bounds a record's size; a larger size is corrupt.
const maxRecord = 1 << 30

// KillAfterEnv names a hook for tests: a journal appends this many
// records, then kills its process with SIGKILL.
const KillAfterEnv = "MPICHAN_TEST_JOURNAL_KILL"

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// OpenJournal opens the journal at path for a job whose parameters are
// params (any text that differs when the results would), creating it if
// there is none; fresh discards an existing one. It returns the results of
// the tasks the journal holds, by task number. A journal of a job with
// other parameters, or a file that is not a journal, is an error. An
// empty path gives a nil Journal, which records nothing.
func OpenJournal[R any](path, params string, fresh bool) (*Journal[R], map[int64]R, error) {
	if path == "" {
		return nil, map[int64]R{}, nil
	}
	j := &Journal[R]{codec: mpichan.CodecFor[R](), path: path}
	if fresh {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	done, err := j.load(f, params)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal %s: %w", path, err)
	}
	j.f = f
	if n, err := strconv.Atoi(os.Getenv(KillAfterEnv)); err == nil {
		j.kill = n
	}
	j.sigs = make(chan os.Signal, 1)
	signal.Notify(j.sigs, syscall.SIGUSR1)
	go j.syncOnSignal()
	return j, done, nil
}

// load reads the records of f, cuts off a torn tail, and leaves f at its
// end with the parameters record written if it was missing.
func (j *Journal[R]) load(f *os.File, params string) (map[int64]R, error) {
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	done := make(map[int64]R)
	if len(data) < len(journalMagic) && bytes.HasPrefix([]byte(journalMagic), data) {
		// New, or torn before its first record was whole: start it.
		return done, j.restart(f, params)
	}
	if !bytes.HasPrefix(data, []byte(journalMagic)) {
		return nil, errors.New("not a journal (it does not start with \"mpichan journal 1\"); use another -journal, or remove it")
	}
	rest, end := data[len(journalMagic):], len(journalMagic)
	first := true
	for {
		task, payload, n, ok := nextRecord(rest)
		if !ok {
			break
		}
		if first {
			if task != paramsTask {
				return nil, errors.New("its first record is not the job's parameters")
			}
			if string(payload) != params {
				return nil, fmt.Errorf("written by a job with other parameters:\n  journal: %s\n  this job: %s\nrun with the journal's parameters, or with -fresh to start over", payload, params)
			}
			first = false
		} else {
			r, err := j.codec.Decode(bytes.Clone(payload))
			if err != nil {
				return nil, fmt.Errorf("task %d: %w", task, err)
			}
			done[task] = r
		}
		rest, end = rest[n:], end+n
	}
	if first {
		return done, j.restart(f, params)
	}
	if err := f.Truncate(int64(end)); err != nil { // cut off a torn tail
		return nil, err
	}
	_, err = f.Seek(int64(end), io.SeekStart)
	return done, err
}

// restart empties f and writes the start of a journal.
func (j *Journal[R]) restart(f *os.File, params string) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := f.Write(append([]byte(journalMagic), record(paramsTask, []byte(params))...))
	if err == nil {
		err = f.Sync()
	}
	return err
}

// record encodes one record.
func record(task int64, payload []byte) []byte {
	b := make([]byte, recordHead, recordHead+len(payload))
	binary.LittleEndian.PutUint32(b[0:], uint32(8+len(payload)))
	binary.LittleEndian.PutUint64(b[8:], uint64(task))
	b = append(b, payload...)
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[8:], crcTable))
	return b
}

// nextRecord decodes the record at the start of b; ok is false if there is
// no whole, intact record there.
func nextRecord(b []byte) (task int64, payload []byte, n int, ok bool) {
	if len(b) < recordHead {
		return 0, nil, 0, false
	}
	size := int(binary.LittleEndian.Uint32(b[0:]))
	if size < 8 || size > maxRecord || len(b) < 8+size {
		return 0, nil, 0, false
	}
	body := b[8 : 8+size]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(b[4:]) {
		return 0, nil, 0, false
	}
	return int64(binary.LittleEndian.Uint64(body)), body[8:], 8 + size, true
}

// Append records task's result r: one write to the file, synced to disk
// within SyncDelay.
func (j *Journal[R]) Append(task int64, r R) error {
	if j == nil {
		return nil
	}
	payload, err := j.codec.Append(nil, r)
	if err != nil {
		return fmt.Errorf("journal: task %d: %w", task, err)
	}
	rec := record(task, payload)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("journal %s: closed", j.path)
	}
	if j.err != nil {
		return j.err
	}
	if _, err := j.f.Write(rec); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if j.kill--; j.kill == 0 {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
	if j.timer == nil {
		j.timer = time.AfterFunc(SyncDelay, func() { j.Sync() })
	}
	return nil
}

// Sync syncs the journal to disk now.
func (j *Journal[R]) Sync() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.syncLocked()
}

func (j *Journal[R]) syncLocked() error {
	if j.timer != nil {
		j.timer.Stop()
		j.timer = nil
	}
	if j.f != nil && j.err == nil {
		if err := j.f.Sync(); err != nil {
			j.err = fmt.Errorf("journal: %w", err)
		}
	}
	return j.err
}

// syncOnSignal syncs on every SIGUSR1 until Close.
func (j *Journal[R]) syncOnSignal() {
	for range j.sigs {
		j.Sync()
	}
}

// Close syncs and closes the journal. Later calls do nothing.
func (j *Journal[R]) Close() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.syncLocked()
	signal.Stop(j.sigs)
	close(j.sigs)
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	j.f = nil
	return err
}

// Remove closes the journal and deletes it: call it once the job's output,
// made of every task's result, is safely written.
func (j *Journal[R]) Remove() error {
	if j == nil {
		return nil
	}
	return errors.Join(j.Close(), os.Remove(j.path))
}
