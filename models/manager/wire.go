package manager

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The wire format. Every message, either way, is a frame:
//
//	u32 length (little-endian) | body[length]      1 ≤ length ≤ MaxFrame
//
// A request body is an op byte and its payload; a response body is a
// status byte (0 ok, 1 error) and the op's result, or an error message.
// Integers are little-endian; a key is u16 length + bytes (≤ MaxKey).
//
//	op              request payload                 ok response payload
//	0x01 DictSet    key, u64 value                  (none)
//	0x02 DictGet    key                             u8 found, u64 value
//	0x03 DictLen    (none)                          u64 len
//	0x04 DictItems  u64 start, u32 max              u32 n, n × (key, u64 value)
//	0x05 DictSetMany u32 n ≥ 1, n × (key, u64 value) u64 len
//	0x10 ListAppend u64 value                       u64 len
//	0x11 ListLen    (none)                          u64 len
//	0x12 ListItems  u64 start, u32 max              u32 n, n × u64
//
// The dict keeps insertion order, as a Python dict does, so DictItems pages
// through it by position; max 0 means as many as fit in one frame.
const (
	// MaxFrame bounds a frame's body, checked before anything is
	// allocated for it.
	MaxFrame = 1 << 20
	// MaxKey bounds a key's length.
	MaxKey = 256
	// MaxItems bounds the entries of the dict and of the list.
	MaxItems = 1 << 27
	// maxErrMsg bounds the message of an error frame.
	maxErrMsg = 512
)

// Op codes.
const (
	opDictSet     byte = 0x01
	opDictGet     byte = 0x02
	opDictLen     byte = 0x03
	opDictItems   byte = 0x04
	opDictSetMany byte = 0x05
	opListAppend  byte = 0x10
	opListLen     byte = 0x11
	opListItems   byte = 0x12
	// opClear empties the dict and the list (Python's d.clear() and
	// del l[:]): the parent's reset between two passes of one session.
	opClear byte = 0x20
)

// Status bytes of a response.
const (
	statusOK  byte = 0
	statusErr byte = 1
)

// ErrMalformed is wrapped by every decoding error: the frame was read but
// its body is not a valid message.
var ErrMalformed = errors.New("malformed message")

// ErrFrameSize is wrapped when a frame's length prefix is 0 or above
// MaxFrame. The stream cannot be resynchronised after it, so the server
// answers with an error frame and closes that connection.
var ErrFrameSize = errors.New("frame length out of range")

// request is a decoded request. Byte slices alias the frame.
type request struct {
	op    byte
	key   []byte // DictSet, DictGet
	value uint64 // DictSet, ListAppend
	start uint64 // DictItems, ListItems
	max   uint32 // DictItems, ListItems
	// DictSetMany: the validated entries, still encoded.
	count   int
	entries []byte
}

// cursor reads fields from a body; the first short read sets err.
type cursor struct {
	b   []byte
	err error
}

func (c *cursor) take(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n > len(c.b) {
		c.err = fmt.Errorf("%w: %d bytes short", ErrMalformed, n-len(c.b))
		return nil
	}
	v := c.b[:n:n]
	c.b = c.b[n:]
	return v
}

func (c *cursor) u8() byte {
	if b := c.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (c *cursor) u16() uint16 {
	if b := c.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (c *cursor) u32() uint32 {
	if b := c.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (c *cursor) u64() uint64 {
	if b := c.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (c *cursor) key() []byte {
	n := c.u16()
	if c.err == nil && n > MaxKey {
		c.err = fmt.Errorf("%w: key of %d bytes (max %d)", ErrMalformed, n, MaxKey)
		return nil
	}
	return c.take(int(n))
}

// end fails if bytes are left over.
func (c *cursor) end() error {
	if c.err == nil && len(c.b) > 0 {
		c.err = fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(c.b))
	}
	return c.err
}

// minEntry is the smallest encoded (key, value) entry: an empty key.
const minEntry = 2 + 8

// decodeRequest decodes a request body. It allocates nothing: every slice
// of the result aliases body.
func decodeRequest(body []byte) (request, error) {
	c := cursor{b: body}
	req := request{op: c.u8()}
	if c.err != nil {
		return request{}, fmt.Errorf("%w: empty body", ErrMalformed)
	}
	switch req.op {
	case opDictSet:
		req.key = c.key()
		req.value = c.u64()
	case opDictGet:
		req.key = c.key()
	case opDictLen, opListLen, opClear:
	case opDictItems, opListItems:
		req.start = c.u64()
		req.max = c.u32()
	case opDictSetMany:
		n := c.u32()
		// Bound the count by the bytes present before walking it.
		if c.err == nil && (n == 0 || uint64(n) > uint64(len(c.b)/minEntry)) {
			return request{}, fmt.Errorf("%w: %d entries in %d bytes", ErrMalformed, n, len(c.b))
		}
		req.count, req.entries = int(n), c.b
		for range n {
			c.key()
			c.u64()
		}
	case opListAppend:
		req.value = c.u64()
	default:
		return request{}, fmt.Errorf("%w: unknown op %#x", ErrMalformed, req.op)
	}
	if err := c.end(); err != nil {
		return request{}, err
	}
	return req, nil
}

// eachEntry calls fn for every entry of a decoded DictSetMany.
func (r *request) eachEntry(fn func(key []byte, value uint64)) {
	c := cursor{b: r.entries}
	for range r.count {
		k := c.key()
		fn(k, c.u64())
	}
}

// beginFrame appends a frame header to dst, to be completed by endFrame.
func beginFrame(dst []byte) ([]byte, int) {
	return append(dst, 0, 0, 0, 0), len(dst)
}

// endFrame writes the body length into the header that begins at at.
func endFrame(dst []byte, at int) []byte {
	binary.LittleEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst
}

func appendKey[K ~string | ~[]byte](dst []byte, key K) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(key)))
	return append(dst, key...)
}

// encodeRequest appends req as a frame to dst (clients and tests).
func encodeRequest(dst []byte, req request) []byte {
	dst, at := beginFrame(dst)
	dst = append(dst, req.op)
	switch req.op {
	case opDictSet:
		dst = appendKey(dst, req.key)
		dst = binary.LittleEndian.AppendUint64(dst, req.value)
	case opDictGet:
		dst = appendKey(dst, req.key)
	case opDictItems, opListItems:
		dst = binary.LittleEndian.AppendUint64(dst, req.start)
		dst = binary.LittleEndian.AppendUint32(dst, req.max)
	case opDictSetMany:
		dst = binary.LittleEndian.AppendUint32(dst, uint32(req.count))
		dst = append(dst, req.entries...)
	case opListAppend:
		dst = binary.LittleEndian.AppendUint64(dst, req.value)
	}
	return endFrame(dst, at)
}

// appendError appends an error frame carrying err's message.
func appendError(dst []byte, err error) []byte {
	msg := err.Error()
	if len(msg) > maxErrMsg {
		msg = msg[:maxErrMsg]
	}
	dst, at := beginFrame(dst)
	dst = append(dst, statusErr)
	dst = append(dst, msg...)
	return endFrame(dst, at)
}
