package sources

import "time"

// LogRecord is one log line as every log source delivers it (Loki, Kubernetes pod logs, a
// recorded bundle). Line is raw: it is neutralised for the terminal only when drawn.
type LogRecord struct {
	At     time.Time
	Line   string
	Labels map[string]string // the stream's labels (Loki) or namespace/pod/container (kube)
	// Pod and Container name where the line came from, when known ("" otherwise).
	Pod, Container string
}

// LogBatch is what a log source sends at a time: records in time order (oldest first),
// plus what the source knows it lost. A batch with Err set reports a failure; the records
// already delivered stay valid.
type LogBatch struct {
	Records []LogRecord
	// Dropped counts lines the server said it dropped (Loki tail's dropped_entries) since
	// the previous batch.
	Dropped int
	// Err is a failure of the source (connection lost, server error worded by the server);
	// a following batch without Err means it recovered.
	Err error
	// Live reports the source follows new lines (tail); false for a finished query.
	Live bool
	// Notice is something the user should know that is not a failure ("following 8 of 12
	// pods").
	Notice string
}
