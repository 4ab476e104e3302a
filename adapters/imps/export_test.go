package imps

// QueuedSends returns how many SendMessage-Requests of c wait for a
// document, for the tests of batching.
func QueuedSends(c *Client) int {
	c.sends.mu.Lock()
	defer c.sends.mu.Unlock()
	return len(c.sends.waiting)
}
