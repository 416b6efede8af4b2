// Package chart draws charts with Fyne's canvas: stacked bars, percentile
// bars, a ring and a legend. Each is a widget whose renderer only places
// canvas objects; where they go is worked out by plain functions
// (LayoutBars, layoutPercentiles) that the tests check. Colours come from
// the theme and are looked up again on every Refresh, so a change of theme
// redraws them.
//
// The charts know nothing of the app: the Usage window (ui/usage) gives
// them numbers and names.
package chart
