import { useLocation, useNavigate } from 'react-router';
import { useToast } from '@/components/ui/toast';
import { ChangePasswordForm } from '@/features/account/components/change-password-form';
import { homePathFor, useAuth } from '@/lib/auth';
import { returnToOf } from '@/lib/return-to';
import type { SessionUser } from '@/lib/session';

/** "Choose a new password" (forced after an admin reset) or "Change password". */
export function ChangePasswordRoute() {
  const { session, signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const toast = useToast();
  const forced = Boolean(session?.user.mustChangePassword);
  // Without a password yet (employee-ID login), the first one needs none.
  const needsCurrent = session?.user.hasPassword !== false;

  const changed = async (token: string, user: SessionUser) => {
    await signIn(token, user);
    toast.show('Your password is changed. Other devices must log in again.', 'success');
    navigate(returnToOf(location.search) ?? homePathFor(user.role), { replace: true });
  };

  return (
    <section aria-labelledby="password-title">
      <h1 id="password-title">{forced ? 'Choose a new password' : 'Change password'}</h1>
      {forced && (
        <p data-testid="must-change-password">
          An administrator reset your password. Choose a new one to continue; the temporary password then stops
          working.
        </p>
      )}
      <ChangePasswordForm forced={forced} needsCurrent={needsCurrent} onChanged={changed} />
    </section>
  );
}
