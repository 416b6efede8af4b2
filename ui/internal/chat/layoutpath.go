package chat

import "fyne.io/fyne/v2"

// LayoutPath lays out the containers from o down to target, which may have
// grown, and then target's tree (see layoutTree). It reports false when
// target is not in a container under o.
func LayoutPath(o, target fyne.CanvasObject, skip map[fyne.CanvasObject]bool) bool {
	if o == target {
		layoutTree(target, skip)
		return true
	}
	c, ok := o.(*fyne.Container)
	if !ok || !holds(c, target) {
		return false
	}
	if c.Layout != nil {
		c.Layout.Layout(c.Objects, c.Size())
	}
	for _, child := range c.Objects {
		if LayoutPath(child, target, skip) {
			return true
		}
	}
	return false
}

// holds reports whether target is in a container under c.
func holds(c *fyne.Container, target fyne.CanvasObject) bool {
	for _, child := range c.Objects {
		if child == target {
			return true
		}
		if cc, ok := child.(*fyne.Container); ok && holds(cc, target) {
			return true
		}
	}
	return false
}

// layoutTree lays out every container of o's tree at its current size,
// refreshing no widget; the containers in skip lay themselves out.
func layoutTree(o fyne.CanvasObject, skip map[fyne.CanvasObject]bool) {
	c, ok := o.(*fyne.Container)
	if !ok || c.Hidden || skip[o] {
		return
	}
	if c.Layout != nil {
		c.Layout.Layout(c.Objects, c.Size())
	}
	for _, child := range c.Objects {
		layoutTree(child, skip)
	}
}
