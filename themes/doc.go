// Package themes turns semantic colour tokens into the lipgloss styles the screens use.
//
// A [Palette] names colours by what they mean (Danger, Selected, Production, ...), never by
// hue, so views ask for "the danger style" and a theme decides what that looks like.
// [NewStyles] builds a [Styles] value from a palette; the root model builds it once in cmd/
// and passes it down. Nothing here is package-level mutable state: the built-in palettes are
// returned by functions ([Dark], [Light], [HighContrast], [Mono]) and every call returns a
// fresh value.
//
// # Picking a theme
//
// [Pick] chooses a built-in by name; "" and "auto" choose [Dark] or [Light] from the
// background detection that the TUI does (tea.RequestBackgroundColor, answered by
// tea.BackgroundColorMsg and its IsDark method). This package does no terminal I/O.
// User themes are YAML files read by [LoadFile] or [Parse]:
//
//	# ~/.config/vigie/themes/night.yaml
//	base: dark            # dark, light, high-contrast or mono; default dark
//	danger: "#ff3030"     # hex colours must be quoted: an unquoted # starts a comment
//	selected-bg: 24       # ANSI colour number 0-255
//	header-bg: ""         # terminal default colour
//
// Unknown keys and bad colours are errors with file:line:col and the list of valid tokens.
//
// # Colour profiles and legibility
//
// Palettes hold full colours. Downsampling to what the terminal supports (TrueColor, 256,
// 16 colours, or none with NO_COLOR) happens at output time in Bubble Tea v2, from the
// terminal's colour profile (per SSH session in bastion mode); this package never does it.
// Because of that every built-in palette must stay legible when reduced to the 16 ANSI
// colours: Danger, Warning and OK map to distinct red, yellow and green ANSI colours,
// Selected's background maps to a colour distinct from all three, and the foreground and
// background of each bar (selected row, header, production banner) stay distinct. A test
// converts each built-in with colorprofile.ANSI to keep it so; user themes are the user's
// business.
//
// With no colour at all (NO_COLOR, a 2-colour terminal, or the Ascii profile) colours are
// dropped but text attributes remain, so the TUI should switch to [Mono] when the profile is
// below ANSI ([ForProfile] says when). [Mono] uses attributes only: reverse for selection and
// bars, bold for danger, underline for warnings, faint for muted and stale text. Danger is
// also bold and destructive dialogs use a double border in every palette, so meaning never
// rests on colour alone.
package themes
