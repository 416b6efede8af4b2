// Package format writes numbers for people: counts with their noun, token
// counts, costs in US dollars, durations and sizes. The window, the CLI and
// the exports all use it, so that the same figure reads the same everywhere
// (issue 15: one formatter each). Every function is pure and safe for
// concurrent use.
//
// The rules, each chosen once:
//
//   - Numbers group thousands with a comma: 1,234,567. deskchat's text is
//     English, and English groups with commas; a locale's separators would
//     make the CLI's output differ from machine to machine.
//   - A count takes the singular noun for exactly 1 and -1, the plural for
//     every other number, 0 included ("0 chats").
//   - Costs are US dollars with two significant digits below a dollar
//     ("$0.35", "$0.012", "$0.0042"), cents above ("$1.25", "$1,234.50"),
//     "$0.00" for nothing, "<$0.0001" for a cost too small to show, and
//     "unknown" for NaN or ±Inf. Most answers cost less than a cent, so a
//     cent's precision would show "$0.00" for nearly every answer; more than
//     two significant digits is noise nobody reads.
//   - Durations: "850 ms" below a second, "4.2 s" below ten seconds, "42 s"
//     below a minute, then the two largest units rounded to the smaller:
//     "1 min 30 s", "3 min", "2 h 5 min", "3 d 4 h".
//   - Sizes count in thousands (1 KB = 1,000 bytes), as GNOME Files and
//     macOS Finder do, so a size here matches the file manager's for the same
//     file: "512 B", "4.0 KB", "8.4 MB", "1.2 GB".
//   - Token counts are short once large: "9,876 tokens", "12.3k tokens",
//     "4.5M tokens" (Compact writes the number alone).
package format

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Number writes n with thousands separators: "1,234,567", "-12,345".
func Number(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/3 + 1)
	b.WriteString(sign)
	head := len(s) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(s[:head])
	for i := head; i < len(s); i += 3 {
		b.WriteByte(',')
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Count writes n and its noun: "1 chat", "0 chats", "1,234 chats".
func Count(n int, one, many string) string {
	if n == 1 || n == -1 {
		return Number(int64(n)) + " " + one
	}
	return Number(int64(n)) + " " + many
}

// Compact writes n shortly once it is large: "9,876", "12.3k", "4.5M",
// "1.2B". Below 10,000 every digit is shown.
func Compact(n int64) string {
	if n < 0 {
		if n == math.MinInt64 {
			return "-" + compactAbs(-float64(n))
		}
		return "-" + Compact(-n)
	}
	if n < 1e4 {
		return Number(n)
	}
	return compactAbs(float64(n))
}

func compactAbs(f float64) string {
	// Pick the unit after rounding, so that 999,960 is "1M" and not "1000k".
	units := []struct {
		div    float64
		suffix string
	}{{1e9, "B"}, {1e6, "M"}, {1e3, "k"}}
	for i := len(units) - 1; i >= 0; i-- {
		u := units[i]
		v := math.Round(f/u.div*10) / 10
		if v < 1000 || i == 0 {
			return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + u.suffix
		}
	}
	return "" // not reached
}

// Tokens writes a token count: "1 token", "9,876 tokens", "12.3k tokens".
func Tokens(n int64) string {
	if n == 1 || n == -1 {
		return Number(n) + " token"
	}
	return Compact(n) + " tokens"
}

// Cost writes US dollars: "$0.00", "<$0.0001", "$0.0042", "$0.35",
// "$1.25", "$1,234.50"; "unknown" for NaN and ±Inf (a price nobody knows).
func Cost(usd float64) string {
	switch {
	case math.IsNaN(usd) || math.IsInf(usd, 0):
		return "unknown"
	case usd < 0:
		c := Cost(-usd)
		if c == "$0.00" {
			return c
		}
		return "-" + c
	case usd == 0:
		return "$0.00"
	case usd < 0.0001:
		return "<$0.0001"
	case usd < 0.995:
		// Two significant digits, at most four decimals, at least two.
		dec := 1 - int(math.Floor(math.Log10(usd)))
		dec = min(max(dec, 2), 4)
		s := strconv.FormatFloat(usd, 'f', dec, 64)
		for strings.HasSuffix(s, "0") && len(s)-strings.IndexByte(s, '.')-1 > 2 {
			s = s[:len(s)-1]
		}
		return "$" + s
	}
	cents := math.Round(usd * 100)
	if cents >= 1<<62 {
		return "$" + strconv.FormatFloat(usd, 'e', 2, 64)
	}
	c := int64(cents)
	return "$" + Number(c/100) + "." + strconv.FormatInt(c%100+100, 10)[1:]
}

// TotalCost writes the cost of requests of which some may have had no
// known price: "unknown" when none had one, "$0.12 + 3 unknown" when some
// did not, else Cost(usd).
func TotalCost(usd float64, unpriced, requests int) string {
	switch {
	case requests > 0 && unpriced >= requests:
		return "unknown"
	case unpriced > 0:
		return Cost(usd) + " + " + Number(int64(unpriced)) + " unknown"
	}
	return Cost(usd)
}

// Duration writes d for people: "850 ms", "4.2 s", "42 s", "1 min 30 s",
// "3 min", "2 h 5 min", "3 d 4 h".
func Duration(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			d++
		}
		return "-" + Duration(-d)
	}
	switch {
	case d < time.Second-time.Millisecond/2:
		return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + " ms"
	case d < 10*time.Second-50*time.Millisecond:
		return strings.TrimSuffix(strconv.FormatFloat(d.Seconds(), 'f', 1, 64), ".0") + " s"
	case d < time.Minute-time.Second/2:
		return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10) + " s"
	case d < time.Hour-time.Second/2:
		return twoUnits(d, time.Minute, "min", time.Second, "s")
	case d < 24*time.Hour-time.Minute/2:
		return twoUnits(d, time.Hour, "h", time.Minute, "min")
	}
	return twoUnits(d, 24*time.Hour, "d", time.Hour, "h")
}

// twoUnits writes d in big and small units, rounded to the small one; the
// small part is left out when it is zero.
func twoUnits(d, big time.Duration, bigName string, small time.Duration, smallName string) string {
	n := int64(d / small) // rounded, in small units (d+small/2 could overflow)
	if d%small >= small/2 {
		n++
	}
	per := int64(big / small)
	s := strconv.FormatInt(n/per, 10) + " " + bigName
	if r := n % per; r != 0 {
		s += " " + strconv.FormatInt(r, 10) + " " + smallName
	}
	return s
}

// Size writes a size in bytes: "512 B", "4.0 KB", "8.4 MB", "1.2 GB",
// "3.0 TB" (1 KB = 1,000 bytes).
func Size(n int64) string {
	if n < 0 {
		if n == math.MinInt64 {
			n++
		}
		return "-" + Size(-n)
	}
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KB", "MB", "GB", "TB", "PB", "EB"}
	f := float64(n)
	for i, u := range units {
		v := math.Round(f/math.Pow(1000, float64(i+1))*10) / 10
		if v < 1000 || i == len(units)-1 {
			return strconv.FormatFloat(v, 'f', 1, 64) + " " + u
		}
	}
	return "" // not reached
}
