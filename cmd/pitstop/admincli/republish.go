package admincli

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

func (c *cli) republish(ctx context.Context, args []string) error {
	fs := c.newFlags("republish", "republish --context customers|vehicles [--json]")
	name := fs.String("context", "", fmt.Sprintf("the owning context whose state is re-emitted (%v)", slices.Sorted(maps.Keys(c.o.Republishers))))
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	rep, ok := c.o.Republishers[*name]
	if !ok {
		return usageError(fs, "--context must be one of %v (the contexts that own state to transfer)",
			slices.Sorted(maps.Keys(c.o.Republishers)))
	}
	pool, err := c.db(ctx)
	if err != nil {
		return err
	}
	n, err := rep(ctx, pool)
	if err != nil {
		return fmt.Errorf("%s: %d events written before: %w", *name, n, err)
	}
	if *asJSON {
		return writeJSON(c.o.Stdout, map[string]any{"context": *name, "events": n})
	}
	fmt.Fprintf(c.o.Stdout, "%s: %d state-transfer events written to the outbox; its relay publishes them.\n", *name, n)
	return nil
}
