package table

// Tone is the meaning of a cell or a line: the view says what it means, the theme decides
// how it looks (themes.Styles Danger, Warning, OK, Muted, Info).
type Tone uint8

// Tones, from no emphasis to the strongest.
const (
	ToneNone    Tone = iota // ordinary text
	ToneMuted               // secondary: completed pods, normal events, ages
	ToneInfo                // neutral information worth noticing
	ToneOK                  // healthy: Running and ready, rollout complete
	ToneWarning             // needs a look: progressing, pending, warnings
	ToneDanger              // broken: crash loops, failed, stalled rollouts
)

// String names the tone for tests and logs.
func (t Tone) String() string {
	switch t {
	case ToneMuted:
		return "muted"
	case ToneInfo:
		return "info"
	case ToneOK:
		return "ok"
	case ToneWarning:
		return "warning"
	case ToneDanger:
		return "danger"
	}
	return "none"
}
