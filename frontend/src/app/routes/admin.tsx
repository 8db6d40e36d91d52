import { AdminDashboard } from '@/features/admin/components/admin-dashboard';
import { RequireRole } from '@/lib/auth';

export function AdminRoute() {
  return (
    <RequireRole roles={['AGENT', 'ADMIN']}>
      <AdminDashboard />
    </RequireRole>
  );
}
