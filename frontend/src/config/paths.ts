// Every route of the portal, in one place.
export const paths = {
  root: '/',
  login: '/login',
  changePassword: '/account/password',
  newRequest: '/new-request',
  myTickets: '/my-tickets',
  ticket: (number: string) => `/tickets/${encodeURIComponent(number)}`,
  ticketPattern: '/tickets/:number',
  admin: '/admin',
  adminUsers: '/admin/users',
  adminCatalog: '/admin/catalog',
  adminEnrolment: '/admin/enrolment',
  assets: '/assets',
  asset: (tag: string) => `/assets/${encodeURIComponent(tag)}`,
  assetPattern: '/assets/:tag',
} as const;
