import { UsersAdmin } from '@/features/users/components/users-admin';
import { RequireRole } from '@/lib/auth';

export function AdminUsersRoute() {
  return (
    <RequireRole roles={['ADMIN']} message="This page is for administrators only.">
      <UsersAdmin />
    </RequireRole>
  );
}
