package loki

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Direction is the order of a log query's entries. The zero value is Loki's default.
type Direction int

// Directions.
const (
	Backward Direction = iota // newest first
	Forward                   // oldest first
)

func (d Direction) String() string {
	if d == Forward {
		return "forward"
	}
	return "backward"
}

// QueryRangeRequest is a query over a window. Zero values leave Loki's defaults.
type QueryRangeRequest struct {
	Query string
	// Start is inclusive, End exclusive; zero: end = now, start = end - 1h.
	Start, End time.Time
	// Limit is the most entries returned (log queries); 0 = 100.
	Limit     int
	Direction Direction
	// Step is the resolution of metric queries; 0 = max((end-start)/250, 1s).
	Step time.Duration
}

// QueryRequest is an instant query. Zero values leave Loki's defaults.
type QueryRequest struct {
	Query     string
	Time      time.Time // zero: now
	Limit     int
	Direction Direction
}

// ResultType says which field of a Result is filled.
type ResultType string

// Result types.
const (
	ResultStreams ResultType = "streams"
	ResultMatrix  ResultType = "matrix"
	ResultVector  ResultType = "vector"
	ResultScalar  ResultType = "scalar"
)

// Entry is one log line.
type Entry struct {
	At   time.Time
	Line string
	// Metadata holds structured metadata and parsed labels when the server sends them
	// per entry (3-tuple values); nil otherwise.
	Metadata map[string]string
}

// Stream is the entries of one label set, in the query's direction order.
type Stream struct {
	Labels  map[string]string
	Entries []Entry
}

// Point is a metric value at a time.
type Point struct {
	At    time.Time
	Value float64
}

// Series is a metric series of a range query.
type Series struct {
	Metric map[string]string
	Points []Point
}

// Sample is one element of an instant query's vector.
type Sample struct {
	Metric map[string]string
	Point
}

// Result is a query answer; Type says which of Streams, Matrix, Vector, Scalar is set.
type Result struct {
	Type     ResultType
	Streams  []Stream
	Matrix   []Series
	Vector   []Sample
	Scalar   Point
	Warnings []string // the server's warnings, to show to the user
}

// QueryRange runs a log or metric query over a window (GET /loki/api/v1/query_range).
func (c *Client) QueryRange(ctx context.Context, req QueryRangeRequest) (Result, error) {
	if strings.TrimSpace(req.Query) == "" {
		return Result{}, errors.New("loki query_range: empty query")
	}
	if req.Limit < 0 || req.Step < 0 {
		return Result{}, errors.New("loki query_range: negative limit or step")
	}
	p := url.Values{"query": {req.Query}, "direction": {req.Direction.String()}}
	addTime(p, "start", req.Start)
	addTime(p, "end", req.End)
	if req.Limit > 0 {
		p.Set("limit", strconv.Itoa(req.Limit))
	}
	if req.Step > 0 {
		p.Set("step", strconv.FormatFloat(req.Step.Seconds(), 'f', -1, 64))
	}
	return c.query(ctx, "query_range", p)
}

// Query runs an instant query (GET /loki/api/v1/query): a vector or a scalar. Loki
// refuses log queries here (400).
func (c *Client) Query(ctx context.Context, req QueryRequest) (Result, error) {
	if strings.TrimSpace(req.Query) == "" {
		return Result{}, errors.New("loki query: empty query")
	}
	p := url.Values{"query": {req.Query}, "direction": {req.Direction.String()}}
	addTime(p, "time", req.Time)
	if req.Limit > 0 {
		p.Set("limit", strconv.Itoa(req.Limit))
	}
	return c.query(ctx, "query", p)
}

func (c *Client) query(ctx context.Context, op string, p url.Values) (Result, error) {
	var data struct {
		ResultType ResultType      `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	warnings, err := c.get(ctx, op, op, p, &data)
	if err != nil {
		return Result{Warnings: warnings}, err
	}
	res, err := decodeResult(data.ResultType, data.Result)
	res.Warnings = warnings
	if err != nil {
		return res, fmt.Errorf("loki %s: %w", op, err)
	}
	return res, nil
}

type wireStream struct {
	Stream map[string]string `json:"stream"`
	Values []wireEntry       `json:"values"`
}

type wireSeries struct {
	Metric map[string]string `json:"metric"`
	Values []wirePoint       `json:"values"`
}

type wireSample struct {
	Metric map[string]string `json:"metric"`
	Value  wirePoint         `json:"value"`
}

func decodeResult(t ResultType, raw json.RawMessage) (Result, error) {
	res := Result{Type: t}
	switch t {
	case ResultStreams:
		var ws []wireStream
		if err := json.Unmarshal(raw, &ws); err != nil {
			return res, fmt.Errorf("decode streams: %w", err)
		}
		res.Streams = make([]Stream, len(ws))
		for i, s := range ws {
			es := make([]Entry, len(s.Values))
			for j, v := range s.Values {
				es[j] = Entry(v)
			}
			res.Streams[i] = Stream{Labels: nonNil(s.Stream), Entries: es}
		}
	case ResultMatrix:
		var ws []wireSeries
		if err := json.Unmarshal(raw, &ws); err != nil {
			return res, fmt.Errorf("decode matrix: %w", err)
		}
		res.Matrix = make([]Series, len(ws))
		for i, s := range ws {
			ps := make([]Point, len(s.Values))
			for j, v := range s.Values {
				ps[j] = Point(v)
			}
			res.Matrix[i] = Series{Metric: nonNil(s.Metric), Points: ps}
		}
	case ResultVector:
		var ws []wireSample
		if err := json.Unmarshal(raw, &ws); err != nil {
			return res, fmt.Errorf("decode vector: %w", err)
		}
		res.Vector = make([]Sample, len(ws))
		for i, s := range ws {
			res.Vector[i] = Sample{Metric: nonNil(s.Metric), Point: Point(s.Value)}
		}
	case ResultScalar:
		var p wirePoint
		if err := json.Unmarshal(raw, &p); err != nil {
			return res, fmt.Errorf("decode scalar: %w", err)
		}
		res.Scalar = Point(p)
	default:
		return res, fmt.Errorf("unknown result type %q", t)
	}
	return res, nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// wireEntry is a stream value: ["<ns>", "<line>"] or ["<ns>", "<line>", {metadata}].
type wireEntry Entry

func (e *wireEntry) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) < 2 {
		return fmt.Errorf("stream value %s: want [timestamp, line]", truncate(string(b)))
	}
	var ts string
	if err := json.Unmarshal(raw[0], &ts); err != nil {
		return fmt.Errorf("stream value timestamp %s: want a string of nanoseconds", truncate(string(raw[0])))
	}
	ns, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("stream value timestamp %q: %w", truncate(ts), err)
	}
	e.At = time.Unix(0, ns)
	if err := json.Unmarshal(raw[1], &e.Line); err != nil {
		return fmt.Errorf("stream value line: %w", err)
	}
	if len(raw) > 2 {
		var md struct {
			StructuredMetadata map[string]string `json:"structuredMetadata"`
			Parsed             map[string]string `json:"parsed"`
		}
		if err := json.Unmarshal(raw[2], &md); err != nil {
			return fmt.Errorf("stream value metadata: %w", err)
		}
		if len(md.StructuredMetadata)+len(md.Parsed) > 0 {
			e.Metadata = maps.Clone(md.StructuredMetadata)
			if e.Metadata == nil {
				e.Metadata = map[string]string{}
			}
			maps.Copy(e.Metadata, md.Parsed)
		}
	}
	return nil
}

// wirePoint is [<seconds as a number>, "<value>"].
type wirePoint Point

func (p *wirePoint) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) != 2 {
		return fmt.Errorf("point %s: want [seconds, \"value\"]", truncate(string(b)))
	}
	at, err := parseSeconds(strings.Trim(string(raw[0]), `"`))
	if err != nil {
		return err
	}
	var v string
	if err := json.Unmarshal(raw[1], &v); err != nil {
		return fmt.Errorf("point value %s: want a string", truncate(string(raw[1])))
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fmt.Errorf("point value %q: %w", truncate(v), err)
	}
	p.At, p.Value = at, f
	return nil
}

// parseSeconds reads decimal seconds ("1704067200", "1704067200.5") exactly, without
// going through a float.
func parseSeconds(s string) (time.Time, error) {
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || len(frac) > 9 || strings.Trim(frac, "0123456789") != "" {
		return time.Time{}, fmt.Errorf("point time %q: want decimal seconds", truncate(s))
	}
	var ns int64
	if frac != "" {
		ns, _ = strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	}
	if strings.HasPrefix(whole, "-") {
		ns = -ns
	}
	return time.Unix(sec, ns), nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
