import { lazy, Suspense, useState, type ReactNode } from 'react';
import { createBrowserRouter, RouterProvider, type RouteObject } from 'react-router';
import { AppLayout } from '@/components/layout/app-layout';
import { paths } from '@/config/paths';
import { Loading } from '@/components/ui/states';
import { RequireAuth } from '@/lib/auth';
import { AdminRoute } from './routes/admin';
import { AdminCatalogRoute } from './routes/admin-catalog';
import { AdminUsersRoute } from './routes/admin-users';
import { ChangePasswordRoute } from './routes/change-password';
import { HomeRoute } from './routes/home';
import { LoginRoute } from './routes/login';
import { MyTicketsRoute } from './routes/my-tickets';
import { NewRequestRoute } from './routes/new-request';
import { NotFoundRoute } from './routes/not-found';
import { TicketRoute } from './routes/ticket';

// The device pages load on first visit: most sessions never open them.
const AssetsRoute = lazy(() => import('./routes/assets').then((m) => ({ default: m.AssetsRoute })));
const AssetRoute = lazy(() => import('./routes/asset').then((m) => ({ default: m.AssetRoute })));
const AdminEnrolmentRoute = lazy(() =>
  import('./routes/admin-enrolment').then((m) => ({ default: m.AdminEnrolmentRoute })),
);
const later = (page: ReactNode) => <Suspense fallback={<Loading />}>{page}</Suspense>;

export const routes: RouteObject[] = [
  { path: paths.login, element: <LoginRoute /> },
  {
    element: (
      <RequireAuth>
        <AppLayout />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <HomeRoute /> },
      { path: paths.newRequest, element: <NewRequestRoute /> },
      { path: paths.myTickets, element: <MyTicketsRoute /> },
      { path: paths.ticketPattern, element: <TicketRoute /> },
      { path: paths.admin, element: <AdminRoute /> },
      { path: paths.adminUsers, element: <AdminUsersRoute /> },
      { path: paths.adminCatalog, element: <AdminCatalogRoute /> },
      { path: paths.adminEnrolment, element: later(<AdminEnrolmentRoute />) },
      { path: paths.assets, element: later(<AssetsRoute />) },
      { path: paths.assetPattern, element: later(<AssetRoute />) },
      { path: paths.changePassword, element: <ChangePasswordRoute /> },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
];

export function AppRouter() {
  // One router for the app's lifetime.
  const [router] = useState(() => createBrowserRouter(routes));
  return <RouterProvider router={router} />;
}
