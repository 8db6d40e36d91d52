import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { HEALTHS, HealthBadge } from './health-badge';

describe('HealthBadge', () => {
  it('shows each health with its own label and class', () => {
    for (const h of HEALTHS) {
      const { unmount } = render(<HealthBadge health={h} />);
      const badge = screen.getByTestId('health-badge');
      expect(badge).toHaveAttribute('data-health', h);
      expect(badge.className).toContain(`health-${h.toLowerCase()}`);
      unmount();
    }
  });

  it('carries the reason as its title', () => {
    render(<HealthBadge health="DEGRADED" reason="disk / 97% used" />);
    expect(screen.getByText('Degraded')).toHaveAttribute('title', 'disk / 97% used');
  });
});
