package loki

import (
	"context"
	"errors"
	"net/url"
	"time"
)

// Labels lists the label names seen in [start, end] (zero times: Loki's defaults, the
// last 6h).
func (c *Client) Labels(ctx context.Context, start, end time.Time) ([]string, error) {
	p := url.Values{}
	addTime(p, "start", start)
	addTime(p, "end", end)
	var out []string
	_, err := c.get(ctx, "labels", "labels", p, &out)
	return out, err
}

// LabelValues lists the values of label name in [start, end], restricted to the streams
// that query (a stream selector, "" for all) selects.
func (c *Client) LabelValues(ctx context.Context, name string, start, end time.Time, query string) ([]string, error) {
	if !validLabelName(name) {
		return nil, errors.New("loki label values: invalid label name " + quoteName(name))
	}
	p := url.Values{}
	addTime(p, "start", start)
	addTime(p, "end", end)
	if query != "" {
		p.Set("query", query)
	}
	var out []string
	_, err := c.get(ctx, "label values", "label/"+url.PathEscape(name)+"/values", p, &out)
	return out, err
}

// Series lists the label sets of the streams that any of matchers (stream selectors)
// selects in [start, end].
func (c *Client) Series(ctx context.Context, matchers []string, start, end time.Time) ([]map[string]string, error) {
	if len(matchers) == 0 {
		return nil, errors.New("loki series: at least one matcher is required")
	}
	p := url.Values{"match[]": matchers}
	addTime(p, "start", start)
	addTime(p, "end", end)
	var out []map[string]string
	_, err := c.get(ctx, "series", "series", p, &out)
	return out, err
}
