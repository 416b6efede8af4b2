package remote

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Version is the protocol's version; a hello of another is refused.
const Version = 1

// MaxFrame bounds a frame's payload, the hello's included.
const MaxFrame = 1 << 20

// chunk is the most stdout, stderr or stdin bytes one frame carries.
const chunk = 64 << 10

// Frame types (see the package documentation).
const (
	frameHello   = 'H'
	frameWelcome = 'W'
	frameRead    = 'R'
	frameSecret  = 'P'
	frameStdin   = 'I'
	frameEOF     = 'Z'
	frameCancel  = 'C'
	frameStdout  = 'O'
	frameStderr  = 'E'
	frameExit    = 'X'
)

// errFrame is a frame that breaks the protocol (too large, unknown type).
var errFrame = errors.New("remote: bad frame")

// readFrame reads one frame from r. A payload over limit is refused
// before it is read.
func readFrame(r io.Reader, limit int) (typ byte, payload []byte, err error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[:4])
	if n > uint32(limit) {
		return 0, nil, fmt.Errorf("%w: %d bytes, over %d", errFrame, n, limit)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return head[4], payload, nil
}

// writeFrame writes one frame in a single Write, so that frames written
// under one lock never interleave.
func writeFrame(w io.Writer, typ byte, payload []byte) error {
	if len(payload) > MaxFrame {
		return fmt.Errorf("%w: %d bytes, over %d", errFrame, len(payload), MaxFrame)
	}
	buf := make([]byte, 5+len(payload))
	binary.BigEndian.PutUint32(buf[:4], uint32(len(payload)))
	buf[4] = typ
	copy(buf[5:], payload)
	_, err := w.Write(buf)
	return err
}

func uint32Payload(v uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, v)
}

func readUint32(p []byte) (uint32, bool) {
	if len(p) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(p), true
}
