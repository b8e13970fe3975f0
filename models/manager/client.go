package manager

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Client is one connection to a manager server. It is not safe for
// concurrent use: like a Python proxy, each process holds its own. Dict
// and List are its proxies for the shared dict and list.
type Client struct {
	conn io.ReadWriteCloser
	br   *bufio.Reader
	req  []byte // the request being built
	resp []byte // the last response body
}

// ServerError is an error frame the server answered with.
type ServerError struct{ Msg string }

func (e *ServerError) Error() string { return "manager server: " + e.Msg }

// Dial connects to the manager's unix socket at path.
//
// Note: the socket is blocking and not handed to the Go poller: a worker
// makes one call at a time and waits for each answer, and a plain blocking
// read/write pair is the cheapest round trip there is.
func Dial(path string) (*Client, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("manager: socket: %w", err)
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("manager: connect %s: %w", path, err)
	}
	return NewClient(os.NewFile(uintptr(fd), path)), nil
}

// NewClient returns a client that talks over conn.
func NewClient(conn io.ReadWriteCloser) *Client {
	return &Client{conn: conn, br: bufio.NewReaderSize(conn, 64<<10)}
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Dict returns the proxy of the shared dict.
func (c *Client) Dict() Dict { return Dict{c} }

// List returns the proxy of the shared list.
func (c *Client) List() List { return List{c} }

// roundTrip sends the frame in c.req and returns the payload of the
// answer (after its status byte), valid until the next call.
func (c *Client) roundTrip() ([]byte, error) {
	if _, err := c.conn.Write(c.req); err != nil {
		return nil, fmt.Errorf("manager: send: %w", err)
	}
	var hdr [4]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return nil, fmt.Errorf("manager: receive: %w", err)
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if n == 0 || n > MaxFrame {
		return nil, fmt.Errorf("manager: receive: %w: %d bytes", ErrFrameSize, n)
	}
	if cap(c.resp) < int(n) {
		c.resp = make([]byte, n)
	}
	c.resp = c.resp[:n]
	if _, err := io.ReadFull(c.br, c.resp); err != nil {
		return nil, fmt.Errorf("manager: receive: %w", err)
	}
	if c.resp[0] != statusOK {
		return nil, &ServerError{Msg: string(c.resp[1:])}
	}
	return c.resp[1:], nil
}

// start begins a request frame with op.
func (c *Client) start(op byte) int {
	var at int
	c.req, at = beginFrame(c.req[:0])
	c.req = append(c.req, op)
	return at
}

// call finishes the request begun at at, sends it and decodes the answer.
func (c *Client) call(at int) (*cursor, error) {
	c.req = endFrame(c.req, at)
	p, err := c.roundTrip()
	if err != nil {
		return nil, err
	}
	return &cursor{b: p}, nil
}

func (c *Client) callLen(at int) (int, error) {
	cur, err := c.call(at)
	if err != nil {
		return 0, err
	}
	n := cur.u64()
	if err := cur.end(); err != nil {
		return 0, fmt.Errorf("manager: answer: %w", err)
	}
	return int(n), nil
}

// Clear empties the dict and the list: one round trip.
func (c *Client) Clear() error {
	cur, err := c.call(c.start(opClear))
	if err != nil {
		return err
	}
	if err := cur.end(); err != nil {
		return fmt.Errorf("manager: answer: %w", err)
	}
	return nil
}

// Dict is a proxy of the manager's dict (string → uint64), Python's
// Manager().dict().
type Dict struct{ c *Client }

// ErrKey is wrapped when a key is longer than MaxKey.
var ErrKey = errors.New("manager: key too long")

func checkKey[K ~string | ~[]byte](key K) error {
	if len(key) > MaxKey {
		return fmt.Errorf("%w: %d bytes (max %d)", ErrKey, len(key), MaxKey)
	}
	return nil
}

// Set stores value under key: one round trip, d[key] = value.
func (d Dict) Set(key string, value uint64) error { return setKey(d, key, value) }

func setKey[K ~string | ~[]byte](d Dict, key K, value uint64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	at := d.c.start(opDictSet)
	d.c.req = appendKey(d.c.req, key)
	d.c.req = binary.LittleEndian.AppendUint64(d.c.req, value)
	cur, err := d.c.call(at)
	if err != nil {
		return err
	}
	return cur.end()
}

// Get returns the value under key and whether it is there.
func (d Dict) Get(key string) (uint64, bool, error) {
	if err := checkKey(key); err != nil {
		return 0, false, err
	}
	at := d.c.start(opDictGet)
	d.c.req = appendKey(d.c.req, key)
	cur, err := d.c.call(at)
	if err != nil {
		return 0, false, err
	}
	found, v := cur.u8(), cur.u64()
	if err := cur.end(); err != nil {
		return 0, false, fmt.Errorf("manager: answer: %w", err)
	}
	return v, found == 1, nil
}

// Len returns the number of keys.
func (d Dict) Len() (int, error) { return d.c.callLen(d.c.start(opDictLen)) }

// SetMany stores values[i] under keys[i] for every i in one round trip per
// frame (a Python dict.update). It splits batches that do not fit one
// frame.
func (d Dict) SetMany(keys []string, values []uint64) error {
	if len(keys) != len(values) {
		return fmt.Errorf("manager: SetMany: %d keys, %d values", len(keys), len(values))
	}
	return d.setMany(len(keys), func(dst []byte, i int) []byte {
		return appendKey(dst, keys[i])
	}, values)
}

// setMany sends n entries whose keys putKey writes, in as few frames as
// fit.
func (d Dict) setMany(n int, putKey func(dst []byte, i int) []byte, values []uint64) error {
	for i := 0; i < n; {
		at := d.c.start(opDictSetMany)
		countAt := len(d.c.req)
		d.c.req = append(d.c.req, 0, 0, 0, 0)
		count := 0
		for ; i < n; i++ {
			mark := len(d.c.req)
			d.c.req = putKey(d.c.req, i)
			if k := len(d.c.req) - mark - 2; k > MaxKey {
				return fmt.Errorf("%w: %d bytes (max %d)", ErrKey, k, MaxKey)
			}
			d.c.req = binary.LittleEndian.AppendUint64(d.c.req, values[i])
			if len(d.c.req)-at-4 > MaxFrame {
				d.c.req = d.c.req[:mark]
				break
			}
			count++
		}
		binary.LittleEndian.PutUint32(d.c.req[countAt:], uint32(count))
		cur, err := d.c.call(at)
		if err != nil {
			return err
		}
		cur.u64()
		if err := cur.end(); err != nil {
			return fmt.Errorf("manager: answer: %w", err)
		}
	}
	return nil
}

// Range calls fn for every entry in insertion order, fetching them a frame
// at a time; key is valid only during the call. It stops at fn's first
// error and returns it.
func (d Dict) Range(fn func(key []byte, value uint64) error) error {
	var start uint64
	for {
		at := d.c.start(opDictItems)
		d.c.req = binary.LittleEndian.AppendUint64(d.c.req, start)
		d.c.req = binary.LittleEndian.AppendUint32(d.c.req, 0)
		cur, err := d.c.call(at)
		if err != nil {
			return err
		}
		n := cur.u32()
		for range n {
			k, v := cur.key(), cur.u64()
			if cur.err != nil {
				break
			}
			if err := fn(k, v); err != nil {
				return err
			}
		}
		if err := cur.end(); err != nil {
			return fmt.Errorf("manager: answer: %w", err)
		}
		if n == 0 {
			return nil
		}
		start += uint64(n)
	}
}

// List is a proxy of the manager's list of uint64, Python's
// Manager().list().
type List struct{ c *Client }

// Append appends v: one round trip.
func (l List) Append(v uint64) error {
	at := l.c.start(opListAppend)
	l.c.req = binary.LittleEndian.AppendUint64(l.c.req, v)
	_, err := l.c.callLen(at)
	return err
}

// Len returns the list's length.
func (l List) Len() (int, error) { return l.c.callLen(l.c.start(opListLen)) }

// Items returns a copy of the whole list, fetched a frame at a time.
func (l List) Items() ([]uint64, error) {
	var items []uint64
	for {
		at := l.c.start(opListItems)
		l.c.req = binary.LittleEndian.AppendUint64(l.c.req, uint64(len(items)))
		l.c.req = binary.LittleEndian.AppendUint32(l.c.req, 0)
		cur, err := l.c.call(at)
		if err != nil {
			return nil, err
		}
		n := cur.u32()
		if uint64(n)*8 > uint64(len(cur.b)) {
			return nil, fmt.Errorf("manager: answer: %w: %d items in %d bytes", ErrMalformed, n, len(cur.b))
		}
		for range n {
			items = append(items, cur.u64())
		}
		if err := cur.end(); err != nil {
			return nil, fmt.Errorf("manager: answer: %w", err)
		}
		if n == 0 {
			return items, nil
		}
	}
}
