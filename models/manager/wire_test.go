package manager

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// body strips the frame header from an encoded request.
func body(frame []byte) []byte { return frame[4:] }

func entries(kv ...any) []byte {
	var b []byte
	for i := 0; i < len(kv); i += 2 {
		b = appendKey(b, kv[i].(string))
		b = binary.LittleEndian.AppendUint64(b, kv[i+1].(uint64))
	}
	return b
}

func TestRequestRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		req  request
	}{
		{"set", request{op: opDictSet, key: []byte("17"), value: 289}},
		{"set empty key", request{op: opDictSet, key: []byte{}, value: 1}},
		{"set longest key", request{op: opDictSet, key: bytes.Repeat([]byte("k"), MaxKey), value: 1}},
		{"get", request{op: opDictGet, key: []byte("a")}},
		{"dict len", request{op: opDictLen}},
		{"dict items", request{op: opDictItems, start: 5, max: 7}},
		{"set many", request{op: opDictSetMany, count: 2, entries: entries("1", uint64(1), "2", uint64(4))}},
		{"append", request{op: opListAppend, value: 9}},
		{"list len", request{op: opListLen}},
		{"list items", request{op: opListItems, start: 1 << 40, max: 0}},
		{"clear", request{op: opClear}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			frame := encodeRequest(nil, c.req)
			if n := binary.LittleEndian.Uint32(frame); int(n) != len(frame)-4 {
				t.Fatalf("length prefix %d for a %d-byte body", n, len(frame)-4)
			}
			got, err := decodeRequest(body(frame))
			if err != nil {
				t.Fatal(err)
			}
			if !sameRequest(got, c.req) {
				t.Fatalf("got %+v, want %+v", got, c.req)
			}
		})
	}
}

func sameRequest(a, b request) bool {
	return a.op == b.op && bytes.Equal(a.key, b.key) && a.value == b.value && a.start == b.start &&
		a.max == b.max && a.count == b.count && bytes.Equal(a.entries, b.entries)
}

func TestDecodeRejects(t *testing.T) {
	long := appendKey(nil, strings.Repeat("k", MaxKey+1))
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"empty", nil, "empty body"},
		{"unknown op", []byte{0x7f}, "unknown op 0x7f"},
		{"short key", []byte{opDictGet, 5, 0, 'a'}, "4 bytes short"},
		{"key too long", append([]byte{opDictGet}, long...), "key of 257 bytes"},
		{"set without value", append([]byte{opDictSet}, appendKey(nil, "a")...), "8 bytes short"},
		{"trailing", []byte{opDictLen, 0}, "1 trailing bytes"},
		{"zero entries", []byte{opDictSetMany, 0, 0, 0, 0}, "0 entries"},
		{"count beyond the frame", append([]byte{opDictSetMany, 0xff, 0xff, 0xff, 0xff}, entries("a", uint64(1))...), "4294967295 entries in 11 bytes"},
		{"count above entries", append([]byte{opDictSetMany, 2, 0, 0, 0}, append(entries("a", uint64(1)), make([]byte, 9)...)...), "bytes short"},
		{"items short", []byte{opListItems, 1, 2, 3}, "bytes short"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeRequest(c.body)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrMalformed containing %q", err, c.want)
			}
		})
	}
}

// frames splits a response stream into bodies, failing on a bad frame.
func frames(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("%d stray bytes", len(b))
		}
		n := binary.LittleEndian.Uint32(b)
		if n == 0 || n > MaxFrame || int(n) > len(b)-4 {
			t.Fatalf("bad response frame length %d (%d bytes left)", n, len(b)-4)
		}
		if s := b[4]; s != statusOK && s != statusErr {
			t.Fatalf("bad status %d", s)
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out
}

type rw struct {
	io.Reader
	io.Writer
}

func TestServeConnErrorFrames(t *testing.T) {
	var in bytes.Buffer
	in.Write([]byte{2, 0, 0, 0, 0x7f, 0})                                            // unknown op
	in.Write(encodeRequest(nil, request{op: opDictSet, key: []byte("x"), value: 3})) // valid
	in.Write(encodeRequest(nil, request{op: opDictGet, key: []byte("x")}))           // valid
	in.Write([]byte{0xff, 0xff, 0xff, 0x7f})                                         // oversized: ends it
	in.Write(encodeRequest(nil, request{op: opDictLen}))                             // never read
	var out bytes.Buffer
	err := NewServer().ServeConn(rw{&in, &out})
	if !errors.Is(err, ErrFrameSize) {
		t.Fatalf("ServeConn = %v, want ErrFrameSize", err)
	}
	got := frames(t, out.Bytes())
	if len(got) != 4 {
		t.Fatalf("%d responses, want 4", len(got))
	}
	if got[0][0] != statusErr || !strings.Contains(string(got[0][1:]), "unknown op") {
		t.Errorf("response 1: %q", got[0])
	}
	if got[1][0] != statusOK || got[2][0] != statusOK || got[2][1] != 1 || binary.LittleEndian.Uint64(got[2][2:]) != 3 {
		t.Errorf("responses 2, 3: %q %q", got[1], got[2])
	}
	if got[3][0] != statusErr || !strings.Contains(string(got[3][1:]), "2147483647 bytes") {
		t.Errorf("response 4: %q", got[3])
	}
}

// startServer serves a fresh Server on a unix socket in a test folder.
func startServer(t *testing.T) (*Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve = %v", err)
		}
	})
	return srv, path
}

func dial(t *testing.T, path string) *Client {
	t.Helper()
	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestBadClientDoesNotStopOthers(t *testing.T) {
	_, path := startServer(t)
	good := dial(t, path)
	if err := good.Dict().Set("a", 1); err != nil {
		t.Fatal(err)
	}
	bad, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if _, err := bad.Write([]byte{1, 0, 0x10, 0}); err != nil { // MaxFrame + 1
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(bad) // an error frame, then EOF
	if got := frames(t, reply); len(got) != 1 || got[0][0] != statusErr {
		t.Fatalf("bad client got %q", reply)
	}
	if err := good.Dict().Set("b", 2); err != nil {
		t.Fatalf("good client after a bad one: %v", err)
	}
	if n, err := good.Dict().Len(); n != 2 || err != nil {
		t.Fatalf("Len = %d, %v", n, err)
	}
}

func TestProxies(t *testing.T) {
	// Page through the list in several answers. Set before the server
	// starts, restored after it stops.
	saved := listPage
	listPage = 100
	t.Cleanup(func() { listPage = saved })
	_, path := startServer(t)
	c := dial(t, path)
	d, l := c.Dict(), c.List()
	// Enough entries that Range and Items need several frames.
	const n = 150_000
	keys, vals := make([]string, n), make([]uint64, n)
	for i := range keys {
		keys[i], vals[i] = "key-"+strconv.Itoa(i), uint64(i)*3
	}
	if err := d.SetMany(keys[:n-1], vals[:n-1]); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(keys[n-1], vals[n-1]); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(keys[0], 42); err != nil { // an update keeps the position
		t.Fatal(err)
	}
	vals[0] = 42
	if got, err := d.Len(); got != n || err != nil {
		t.Fatalf("Len = %d, %v", got, err)
	}
	if v, ok, err := d.Get(keys[7]); v != vals[7] || !ok || err != nil {
		t.Fatalf("Get = %d %v %v", v, ok, err)
	}
	if _, ok, err := d.Get("missing"); ok || err != nil {
		t.Fatalf("Get(missing) = %v %v", ok, err)
	}
	i := 0
	err := d.Range(func(k []byte, v uint64) error {
		if string(k) != keys[i] || v != vals[i] {
			t.Fatalf("entry %d = %s:%d, want %s:%d", i, k, v, keys[i], vals[i])
		}
		i++
		return nil
	})
	if err != nil || i != n {
		t.Fatalf("Range saw %d entries, err %v", i, err)
	}
	for i := range 1_050 {
		if err := l.Append(uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	items, err := l.Items()
	if err != nil || len(items) != 1_050 || items[1_049] != 1_049 {
		t.Fatalf("Items: %d items, err %v", len(items), err)
	}
	if got, err := l.Len(); got != 1_050 || err != nil {
		t.Fatalf("List.Len = %d, %v", got, err)
	}
	if err := d.Set(strings.Repeat("k", MaxKey+1), 1); !errors.Is(err, ErrKey) {
		t.Fatalf("long key: %v", err)
	}
	if err := d.SetMany([]string{"a"}, nil); err == nil {
		t.Fatal("SetMany with mismatched lengths succeeded")
	}
}

func TestServerErrorFrameReachesClient(t *testing.T) {
	_, path := startServer(t)
	c := dial(t, path)
	c.req = []byte{1, 0, 0, 0, 0x7f} // unknown op, well framed
	_, err := c.roundTrip()
	var se *ServerError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "unknown op") {
		t.Fatalf("got %v, want a ServerError about the op", err)
	}
	if err := c.Dict().Set("still", 1); err != nil {
		t.Fatalf("connection unusable after an error frame: %v", err)
	}
}

// FuzzDecodeRequest checks that the decoder never panics, and that what it
// accepts re-encodes to the same body.
func FuzzDecodeRequest(f *testing.F) {
	for _, seed := range seedBodies() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := decodeRequest(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if again := body(encodeRequest(nil, req)); !bytes.Equal(again, b) {
			t.Fatalf("re-encoded %x, want %x", again, b)
		}
		if req.op == opDictSetMany {
			n := 0
			req.eachEntry(func([]byte, uint64) { n++ })
			if n != req.count {
				t.Fatalf("%d entries walked, count %d", n, req.count)
			}
		}
	})
}

// FuzzServeConn feeds a byte stream to a server connection: it must never
// panic, answer only well-formed frames, and answer each frame it reads.
func FuzzServeConn(f *testing.F) {
	for _, seed := range seedBodies() {
		var stream []byte
		stream = binary.LittleEndian.AppendUint32(stream, uint32(len(seed)))
		stream = append(stream, seed...)
		f.Add(stream)
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, stream []byte) {
		var out bytes.Buffer
		_ = NewServer().ServeConn(rw{bytes.NewReader(stream), &out})
		frames(t, out.Bytes())
	})
}

// seedBodies are the seed request bodies of both fuzz targets (also
// committed under testdata/fuzz).
func seedBodies() [][]byte {
	reqs := []request{
		{op: opDictSet, key: []byte("17"), value: 289},
		{op: opDictGet, key: []byte("17")},
		{op: opDictLen},
		{op: opDictItems, start: 0, max: 0},
		{op: opDictSetMany, count: 2, entries: entries("1", uint64(1), "2", uint64(4))},
		{op: opListAppend, value: 7},
		{op: opListLen},
		{op: opListItems, start: 3, max: 2},
	}
	var out [][]byte
	for _, r := range reqs {
		out = append(out, body(encodeRequest(nil, r)))
	}
	return append(out, []byte{0x7f}, []byte{opDictSetMany, 0xff, 0xff, 0xff, 0xff})
}

// TestClear checks that Clear empties the dict and the list, so that a
// second pass of one session cannot find the first pass's results there.
func TestClear(t *testing.T) {
	srvEnd, cliEnd := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- NewServer().ServeConn(srvEnd) }()
	c := NewClient(cliEnd)
	if err := c.Dict().Set("1", 7); err != nil {
		t.Fatal(err)
	}
	if err := c.List().Append(3); err != nil {
		t.Fatal(err)
	}
	if err := c.Clear(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Dict().Len(); err != nil || n != 0 {
		t.Fatalf("dict len after Clear = %d, %v; want 0", n, err)
	}
	if items, err := c.List().Items(); err != nil || len(items) != 0 {
		t.Fatalf("list after Clear = %v, %v; want empty", items, err)
	}
	if _, ok, err := c.Dict().Get("1"); err != nil || ok {
		t.Fatalf("Get after Clear: found %v, %v", ok, err)
	}
	// The store works as before after a clear.
	if err := c.Dict().Set("2", 9); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c.Dict().Get("2"); err != nil || !ok || v != 9 {
		t.Fatalf("Get after Clear and Set = %d, %v, %v", v, ok, err)
	}
	c.Close()
	if err := <-done; err != nil && !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("ServeConn: %v", err)
	}
}
