package qareport

import (
	"context"
	"fmt"

	"sightline/reader/review"
)

// FromStore fills what the report takes from the review store: the verdicts, the store's
// location and its history's verification. The verification is returned too, for the caller to
// say when it does not hold. It only reads.
func (opt *Options) FromStore(ctx context.Context, st review.Store) (review.ChainReport, error) {
	var err error
	if opt.Verdicts, err = st.Verdicts(ctx, ""); err != nil {
		return review.ChainReport{}, fmt.Errorf("read verdicts: %w", err)
	}
	opt.Store = st.Location()
	rep, err := review.VerifyChain(ctx, st)
	if err != nil {
		return rep, err
	}
	opt.Chain = rep.String()
	return rep, nil
}
