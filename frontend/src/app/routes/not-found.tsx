import { NotFound } from '@/components/ui/not-found';

export function NotFoundRoute() {
  return <NotFound />;
}
