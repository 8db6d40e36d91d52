// Every route of the portal, in one place.
export const paths = {
  root: '/',
  login: '/login',
  newRequest: '/new-request',
  myTickets: '/my-tickets',
  ticket: (number: string) => `/tickets/${encodeURIComponent(number)}`,
  ticketPattern: '/tickets/:number',
  admin: '/admin',
  adminUsers: '/admin/users',
} as const;
