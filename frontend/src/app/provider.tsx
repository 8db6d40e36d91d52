import type { ReactNode } from 'react';
import { ToastProvider } from '@/components/ui/toast';
import { AuthProvider } from '@/lib/auth';
import { GraphqlProvider } from '@/lib/graphql-provider';

export function AppProvider({ children }: { children: ReactNode }) {
  return (
    <AuthProvider>
      <GraphqlProvider>
        <ToastProvider>{children}</ToastProvider>
      </GraphqlProvider>
    </AuthProvider>
  );
}
