package manager

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Server owns the shared dict and list and serves them to any number of
// connections, the way a multiprocessing Manager's server process does.
type Server struct {
	mu    sync.Mutex
	index map[string]int // key → position in keys and vals
	keys  []string
	vals  []uint64
	list  []uint64

	connMu sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewServer returns a server with an empty dict and list.
func NewServer() *Server {
	return &Server{index: map[string]int{}, conns: map[net.Conn]struct{}{}}
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("manager: server closed")

// Serve accepts connections on ln and serves each on its own goroutine
// until Close. A peer whose user differs from this process's is refused.
func (s *Server) Serve(ln net.Listener) error {
	s.connMu.Lock()
	if s.closed {
		s.connMu.Unlock()
		return ErrServerClosed
	}
	s.ln = ln
	s.connMu.Unlock()
	for {
		conn, err := ln.Accept()
		if err != nil {
			s.connMu.Lock()
			closed := s.closed
			s.connMu.Unlock()
			if closed {
				return ErrServerClosed
			}
			return fmt.Errorf("manager: accept: %w", err)
		}
		if !s.track(conn) {
			conn.Close()
			return ErrServerClosed
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(conn)
			if err := samePeerUser(conn); err != nil {
				conn.Write(appendError(nil, err))
				return
			}
			_ = s.ServeConn(conn)
		}()
	}
}

func (s *Server) track(c net.Conn) bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.connMu.Lock()
	delete(s.conns, c)
	s.connMu.Unlock()
	c.Close()
}

// Close stops Serve, closes every connection and waits for their
// goroutines to finish.
func (s *Server) Close() error {
	s.connMu.Lock()
	s.closed = true
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.connMu.Unlock()
	s.wg.Wait()
	return err
}

// samePeerUser refuses a unix-socket peer of another user (SO_PEERCRED).
// The socket's folder (0700) and mode (0600) already keep others out; this
// is the check of last resort.
func samePeerUser(conn net.Conn) error {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return nil
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var cred *unix.Ucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if cerr != nil {
		return fmt.Errorf("peer credentials: %w", cerr)
	}
	if int(cred.Uid) != os.Getuid() {
		return fmt.Errorf("peer uid %d refused", cred.Uid)
	}
	return nil
}

// ServeConn serves one connection until it reaches EOF. A malformed body
// gets an error frame and the connection goes on; a frame length out of
// range gets an error frame and ends the connection (ErrFrameSize), since
// the stream can no longer be trusted. Other connections are not affected
// either way.
func (s *Server) ServeConn(rw io.ReadWriter) error {
	br := bufio.NewReaderSize(rw, 64<<10)
	var hdr [4]byte
	var body, out []byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		n := binary.LittleEndian.Uint32(hdr[:])
		if n == 0 || n > MaxFrame {
			err := fmt.Errorf("%w: %d bytes (accepted: 1..%d)", ErrFrameSize, n, MaxFrame)
			_, _ = rw.Write(appendError(out[:0], err))
			return err
		}
		// n is bounded, so is this allocation; the buffer is reused.
		if cap(body) < int(n) {
			body = make([]byte, n)
		}
		body = body[:n]
		if _, err := io.ReadFull(br, body); err != nil {
			return fmt.Errorf("manager: truncated frame: %w", err)
		}
		req, err := decodeRequest(body)
		if err != nil {
			out = appendError(out[:0], err)
		} else {
			out = s.apply(out[:0], &req)
		}
		if _, err := rw.Write(out); err != nil {
			return err
		}
		if cap(out) > 4*MaxFrame {
			out = nil // do not keep a huge buffer for one big answer
		}
	}
}

// ErrFull is answered when the dict or list would exceed MaxItems.
var ErrFull = errors.New("manager: store full")

// apply runs a decoded request on the store and appends the response frame.
func (s *Server) apply(out []byte, req *request) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, at := beginFrame(out)
	out = append(out, statusOK)
	switch req.op {
	case opDictSet:
		if !s.set(req.key, req.value) {
			return appendError(out[:at], ErrFull)
		}
	case opDictGet:
		if i, ok := s.index[string(req.key)]; ok {
			out = append(out, 1)
			out = binary.LittleEndian.AppendUint64(out, s.vals[i])
		} else {
			out = append(out, 0)
			out = binary.LittleEndian.AppendUint64(out, 0)
		}
	case opDictLen:
		out = binary.LittleEndian.AppendUint64(out, uint64(len(s.keys)))
	case opDictSetMany:
		full := false
		req.eachEntry(func(k []byte, v uint64) {
			full = full || !s.set(k, v)
		})
		if full {
			return appendError(out[:at], ErrFull)
		}
		out = binary.LittleEndian.AppendUint64(out, uint64(len(s.keys)))
	case opDictItems:
		out = s.dictItems(out, req.start, req.max)
	case opListAppend:
		if len(s.list) >= MaxItems {
			return appendError(out[:at], ErrFull)
		}
		s.list = append(s.list, req.value)
		out = binary.LittleEndian.AppendUint64(out, uint64(len(s.list)))
	case opListLen:
		out = binary.LittleEndian.AppendUint64(out, uint64(len(s.list)))
	case opListItems:
		out = s.listItems(out, req.start, req.max)
	case opClear:
		clear(s.index)
		s.keys, s.vals, s.list = s.keys[:0], s.vals[:0], s.list[:0]
	}
	return endFrame(out, at)
}

func (s *Server) set(key []byte, v uint64) bool {
	if i, ok := s.index[string(key)]; ok {
		s.vals[i] = v
		return true
	}
	if len(s.keys) >= MaxItems {
		return false
	}
	k := string(key)
	s.index[k] = len(s.keys)
	s.keys = append(s.keys, k)
	s.vals = append(s.vals, v)
	return true
}

// dictItems appends entries from position start, as many as max (0: no
// limit) and as fit in one frame.
func (s *Server) dictItems(out []byte, start uint64, max uint32) []byte {
	countAt := len(out)
	out = append(out, 0, 0, 0, 0)
	size := len(out) - countAt + 1 // status byte included
	var n uint32
	for i := start; i < uint64(len(s.keys)) && (max == 0 || n < max); i++ {
		k := s.keys[i]
		if size+2+len(k)+8 > MaxFrame {
			break
		}
		size += 2 + len(k) + 8
		out = appendKey(out, k)
		out = binary.LittleEndian.AppendUint64(out, s.vals[i])
		n++
	}
	binary.LittleEndian.PutUint32(out[countAt:], n)
	return out
}

// listPage is the most list items one answer carries: as many as fit in a
// frame (a variable so that tests can page through small lists).
var listPage = (MaxFrame - 5) / 8

func (s *Server) listItems(out []byte, start uint64, max uint32) []byte {
	countAt := len(out)
	out = append(out, 0, 0, 0, 0)
	room := uint64(listPage)
	var n uint64
	if start < uint64(len(s.list)) {
		n = min(uint64(len(s.list))-start, room)
		if max != 0 {
			n = min(n, uint64(max))
		}
	}
	if n > 0 {
		for _, v := range s.list[start : start+n] {
			out = binary.LittleEndian.AppendUint64(out, v)
		}
	}
	binary.LittleEndian.PutUint32(out[countAt:], uint32(n))
	return out
}
