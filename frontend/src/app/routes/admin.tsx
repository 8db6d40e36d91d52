import { AdminDashboard } from '@/features/admin/components/admin-dashboard';
import { FleetHealthPanel } from '@/features/assets/components/fleet-health';
import { RequireRole } from '@/lib/auth';

export function AdminRoute() {
  return (
    <RequireRole roles={['AGENT', 'ADMIN']}>
      <AdminDashboard />
      <FleetHealthPanel />
    </RequireRole>
  );
}
