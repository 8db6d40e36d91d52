import { EnrolmentAdmin } from '@/features/assets/components/enrolment-admin';
import { RequireRole } from '@/lib/auth';

export function AdminEnrolmentRoute() {
  return (
    <RequireRole roles={['ADMIN']}>
      <EnrolmentAdmin />
    </RequireRole>
  );
}
