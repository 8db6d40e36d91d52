import { Navigate } from 'react-router';
import { homePathFor, useAuth } from '@/lib/auth';

/** `/`: admins and agents to the dashboard, requesters to their tickets. */
export function HomeRoute() {
  const { session } = useAuth();
  return <Navigate to={homePathFor(session?.user.role)} replace />;
}
