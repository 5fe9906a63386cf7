package sbom

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Cache keeps the inventories of image layer prefixes (sbom.md §2.3), so that
// images sharing base layers catalog those layers once. A key is the digest
// of a prefix's chainID with the cataloger's CatalogerInfo (engine, version
// and configuration digest), so a cache is never read by another engine or
// configuration. Implementations must return exactly what was put: a hit
// gives the same document as a miss.
type Cache interface {
	Get(ctx context.Context, key string) (*Inventory, bool, error)
	Put(ctx context.Context, key string, inv *Inventory) error
}

// CacheStats counts cache lookups.
type CacheStats struct {
	Hits   int
	Misses int
	Puts   int
}

// MemoryCache is an in-process Cache. It stores entries as JSON, so that a
// caller cannot alter an entry through a returned Inventory.
type MemoryCache struct {
	mu      sync.Mutex
	entries map[string][]byte
	stats   CacheStats
}

// NewMemoryCache returns an empty MemoryCache.
func NewMemoryCache() *MemoryCache { return &MemoryCache{entries: map[string][]byte{}} }

// Get returns the inventory stored under key.
func (c *MemoryCache) Get(_ context.Context, key string) (*Inventory, bool, error) {
	c.mu.Lock()
	b, ok := c.entries[key]
	if ok {
		c.stats.Hits++
	} else {
		c.stats.Misses++
	}
	c.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	var inv Inventory
	if err := json.Unmarshal(b, &inv); err != nil {
		return nil, false, fmt.Errorf("sbom: cache entry %s: %w", key, err)
	}
	return &inv, true, nil
}

// Put stores inv under key.
func (c *MemoryCache) Put(_ context.Context, key string, inv *Inventory) error {
	b, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("sbom: cache entry %s: %w", key, err)
	}
	c.mu.Lock()
	c.entries[key] = b
	c.stats.Puts++
	c.mu.Unlock()
	return nil
}

// Stats returns the lookups so far.
func (c *MemoryCache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Len is the number of entries.
func (c *MemoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
