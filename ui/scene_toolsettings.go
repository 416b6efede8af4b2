//go:build screenshots

package ui

import (
	"context"
	"time"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/tools"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// sceneServers stands for the window's tool manager on the Settings' Tools
// page: harbor is connected with four tools, wiki failed with its stderr;
// nothing runs.
type sceneServers struct{ sceneToolbox }

func (sceneServers) State(name string) tools.State {
	if name == "wiki" {
		return tools.State{Status: tools.Failed, Sentence: "wiki exited while starting (exit status 1).",
			Stderr: "npm error 404 Not Found - GET https://registry.npmjs.org/@example%2fwiki-mcp"}
	}
	return tools.State{Status: tools.Connected, Tools: []engine.ToolInfo{
		{Server: name, Name: "harbor_lookup", Description: "Finds a harbor by name or code and returns its position, depth and facilities."},
		{Server: name, Name: "tides", Description: "Tide tables for a port on a given date, high and low water with heights."},
		{Server: name, Name: "berth_booking", Description: "Books a berth for a vessel; needs the vessel's name, length and the dates."},
		{Server: name, Name: "weather", Description: "The marine forecast for the harbor's area: wind, waves and visibility."},
	}}
}
func (sceneServers) Tools(context.Context, []string) ([]engine.ToolInfo, error) { return nil, nil }
func (sceneServers) Set(store.ToolServer)                                       {}
func (sceneServers) Remove(string)                                              {}
func (sceneServers) SetDisabled(string, []string) bool                          { return true }
func (sceneServers) SetAllowed(string, []string) bool                           { return true }

// stageToolSettings stores two tool servers and opens the Settings' Tools
// page on the connected one, one tool turned off and one always allowed.
func (w *window) stageToolSettings() {
	w.closeTools()
	w.conf.tools = sceneServers{sceneToolbox{"harbor", "wiki"}}
	bridge.Run(w.b, func() (struct{}, error) {
		err := w.st.PutToolServer(store.ToolServer{Name: "harbor", Command: "npx", Args: []string{"-y", "@example/harbor-mcp", "--region", "north-sea"},
			Disabled: []string{"berth_booking"}, Allowed: []string{"tides"}})
		if err == nil {
			err = w.st.PutToolServer(store.ToolServer{Name: "wiki", Command: "npx", Args: []string{"-y", "@example/wiki-mcp"}})
		}
		return struct{}{}, err
	}, func(_ struct{}, err error) {
		if err != nil {
			w.showError("Could not stage the scene", err)
			return
		}
		w.showSettings()
		s := w.overlays.settings
		s.Tabs.SelectIndex(2)
		w.b.After(500*time.Millisecond, func() { s.Tools.List.Select(0) })
	})
}
