import { useState } from 'react';
import { createBrowserRouter, RouterProvider, type RouteObject } from 'react-router';
import { AppLayout } from '@/components/layout/app-layout';
import { paths } from '@/config/paths';
import { RequireAuth } from '@/lib/auth';
import { AdminRoute } from './routes/admin';
import { AdminCatalogRoute } from './routes/admin-catalog';
import { AdminEnrolmentRoute } from './routes/admin-enrolment';
import { AdminUsersRoute } from './routes/admin-users';
import { AssetRoute } from './routes/asset';
import { AssetsRoute } from './routes/assets';
import { ChangePasswordRoute } from './routes/change-password';
import { HomeRoute } from './routes/home';
import { LoginRoute } from './routes/login';
import { MyTicketsRoute } from './routes/my-tickets';
import { NewRequestRoute } from './routes/new-request';
import { NotFoundRoute } from './routes/not-found';
import { TicketRoute } from './routes/ticket';

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
      { path: paths.adminEnrolment, element: <AdminEnrolmentRoute /> },
      { path: paths.assets, element: <AssetsRoute /> },
      { path: paths.assetPattern, element: <AssetRoute /> },
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
