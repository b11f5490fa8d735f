package main

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"unicode"
	"unicode/utf8"
)

// A word is a run of letters and digits, counted in lower case.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// countWords adds the words of text to counts and returns how many it saw.
func countWords(text []byte, counts map[string]int64) (words int64) {
	var word []byte // the current word, lower-cased
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(text[i:])
		}
		i += size
		if isWordRune(r) {
			word = utf8.AppendRune(word, unicode.ToLower(r))
			if i < len(text) {
				continue
			}
		}
		if len(word) > 0 {
			counts[string(word)]++
			words++
			word = word[:0]
		}
	}
	return words
}

// chunks reads r and calls emit with pieces of at most size bytes, each
// ending just after an ASCII byte that is not part of a word, so that no
// word, and no UTF-8 sequence, is cut in two. (Only a word longer than size
// would be.) emit may keep nothing: the buffer is reused.
func chunks(r io.Reader, size int, emit func([]byte) error) error {
	buf := make([]byte, size)
	kept := 0
	for {
		n, err := io.ReadFull(r, buf[kept:])
		data := buf[:kept+n]
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if len(data) == 0 {
				return nil
			}
			return emit(data)
		}
		if err != nil {
			return err
		}
		end := cut(data)
		if err := emit(data[:end]); err != nil {
			return err
		}
		kept = copy(buf, data[end:])
	}
}

// cut is where a chunk of data may end: after its last ASCII byte that is
// not a letter or digit (ASCII bytes never occur inside a multi-byte UTF-8
// sequence), or at its end if it has none.
func cut(data []byte) int {
	for i := len(data) - 1; i >= 0; i-- {
		if c := data[i]; c < utf8.RuneSelf && !isWordRune(rune(c)) {
			return i + 1
		}
	}
	return len(data)
}

// listFiles lists the regular files of fsys whose base name matches
// pattern, in lexical order, and their total size. It reads no contents.
func listFiles(fsys fs.FS, pattern string) (files []string, size int64, err error) {
	err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if ok, _ := filepath.Match(pattern, d.Name()); !ok {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, path)
		size += info.Size()
		return nil
	})
	return files, size, err
}

// wordCount is one word and how often it occurs.
type wordCount struct {
	Word  string
	Count int64
}

// sorted lists counts by decreasing count, then by word.
func sorted(counts map[string]int64) []wordCount {
	list := make([]wordCount, 0, len(counts))
	for w, c := range counts {
		list = append(list, wordCount{w, c})
	}
	slices.SortFunc(list, func(a, b wordCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Word, b.Word))
	})
	return list
}

// writeCounts writes "count<TAB>word" lines.
func writeCounts(w io.Writer, list []wordCount) error {
	bw := bufio.NewWriter(w)
	for _, wc := range list {
		fmt.Fprintf(bw, "%d\t%s\n", wc.Count, wc.Word)
	}
	return bw.Flush()
}
