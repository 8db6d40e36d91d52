import { CatalogAdmin } from '@/features/catalog/components/catalog-admin';
import { RequireRole } from '@/lib/auth';

export function AdminCatalogRoute() {
  return (
    <RequireRole roles={['ADMIN']} message="This page is for administrators only.">
      <CatalogAdmin />
    </RequireRole>
  );
}
